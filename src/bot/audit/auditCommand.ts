/**
 * The `audit` command at the Teams edge: finds out whether the person is in the security channel
 * (they wrote in it, or its roster lists them), resolves an @mention to an object id, runs the
 * audit use case with their delegated session, and answers with the audit card or an inline export.
 *
 * Exports are posted inline as a code block: a bot cannot attach arbitrary files in a channel
 * without extra permissions (files in chats need the Teams file-consent flow and OneDrive; in
 * channels, SharePoint access), so a message carries at most 50 records, and `npm run
 * audit:export` exports everything from the store itself.
 */
import { TeamsInfo, type TurnContext } from 'botbuilder';
import type { AuditOutcome, AuditQueryService, AuditRequest } from '../../app/auditQueries';
import type { AuditRecord } from '../../app/ports/auditLog';
import type { Acting } from '../../app/acting';
import type { ResolvedTarget } from '../../app/revocation/revocationService';
import type { AuditEntryView, AuditView } from '../../cards/auditCard';
import type { AdaptiveCard, CardRenderer } from '../../cards/render';
import { shorten } from '../../cards/text';
import type { AuditQuery } from '../../domain/auditCommand';
import type { Logger } from '../../observability/logger';
import { explainDirectoryFailure, STORAGE_UNAVAILABLE } from '../explain';
import type { Presenter } from '../present';
import type { SecurityChannel } from '../securityChannel';
import { memberObjectId, sendCard } from '../turnHelpers';

/** Teams refuses messages over about 28 KB; the card is cut to fit well under it. */
const MAX_CARD_CHARS = 24_000;

export interface AuditCommandOptions {
  readonly queries: AuditQueryService;
  readonly cards: CardRenderer;
  readonly presenter: Presenter;
  readonly appId: string;
  readonly logger: Logger;
  /** The configured security channel, when there is one. */
  readonly securityChannel?: SecurityChannel;
}

export class AuditCommandHandler {
  constructor(private readonly options: AuditCommandOptions) {}

  /** Runs `audit …` for the person behind `acting` and answers in the conversation. */
  async run(context: TurnContext, acting: Acting, query: AuditQuery, deadline?: number): Promise<void> {
    let subject: AuditRequest['subject'];
    if (query.subject) {
      const who = await this.resolve(context, query.subject.who);
      if (!who) {
        await this.send(
          context,
          this.options.presenter.notice(
            'Couldn’t identify that person',
            'Teams couldn’t tell me who that is. Try their email address (UPN) instead, e.g. audit for adele@contoso.com.',
            'warning',
          ),
        );
        return;
      }
      subject = { role: query.subject.role, who };
    }
    const inSecurityChannel = await this.inSecurityChannel(context, acting);
    const outcome = await this.options.queries.run(
      acting,
      { mode: query.mode, format: query.format, limit: query.limit, subject },
      { inSecurityChannel, deadline },
    );
    await this.answer(context, outcome, query);
  }

  private async answer(context: TurnContext, outcome: AuditOutcome, query: AuditQuery): Promise<void> {
    const { presenter } = this.options;
    switch (outcome.kind) {
      case 'refused':
        await this.send(
          context,
          presenter.notice(
            'You can’t read the audit trail',
            outcome.reason === 'not_configured'
              ? 'No one can read the audit trail from Teams until an administrator configures who may. Your request was recorded.'
              : 'Only members of the security channel or of the audit administrators’ group can read the audit trail. Your request was recorded.',
            'warning',
          ),
        );
        return;
      case 'failed':
        await this.send(
          context,
          presenter.failure(explainDirectoryFailure(outcome.failure.code), { graphRequestId: outcome.failure.graphRequestId }),
        );
        return;
      case 'unknown_subject':
        await this.send(
          context,
          presenter.notice(
            'No one found',
            `No one in your directory matches “${outcome.query}”. Use their email address (UPN) or object id.`,
            'info',
          ),
        );
        return;
      case 'ambiguous_subject':
        await this.send(
          context,
          presenter.notice(
            'Several people match',
            `More than one person matches “${outcome.query}”. Use their email address (UPN) or object id.`,
            'info',
          ),
        );
        return;
      case 'storage_unavailable':
        await this.send(context, presenter.failure(STORAGE_UNAVAILABLE));
        return;
      case 'listed':
        await this.send(context, this.card(outcome, query));
        return;
      case 'exported': {
        const what = `${outcome.count} record${outcome.count === 1 ? '' : 's'}${scopeOf(outcome.subject)}, oldest first, ${outcome.format === 'csv' ? 'CSV' : 'JSON Lines'}`;
        const more = outcome.more ? ' Older records match too: run `npm run audit:export` on the bot’s host for everything.' : '';
        await context.sendActivity({
          type: 'message',
          textFormat: 'markdown',
          text: `Audit export (${what}).${more}\n\n\`\`\`\n${inlineSafe(outcome.content, outcome.format)}\`\`\``,
        });
        return;
      }
    }
  }

  /** The card, cut down (oldest entries first) until it fits in one Teams message. */
  private card(outcome: Extract<AuditOutcome, { kind: 'listed' }>, query: AuditQuery): AdaptiveCard {
    const entries = outcome.records.map(entryView);
    const scope = `Last ${entries.length} action${entries.length === 1 ? '' : 's'}${scopeOf(outcome.subject)}`;
    let note = query.clamped ? 'At most 50 records fit on a card.' : undefined;
    for (let shown = entries.length; ; shown -= 1) {
      const view: AuditView = { scope, entries: entries.slice(0, shown), more: outcome.more || shown < entries.length, note };
      const card = this.options.cards.audit(view);
      if (shown <= 1 || JSON.stringify(card).length <= MAX_CARD_CHARS) return card;
      note = `Only the newest ${shown - 1} fit on a card.`;
    }
  }

  /** A mention becomes an object id through the conversation's roster; other forms pass through. */
  private async resolve(context: TurnContext, who: NonNullable<AuditQuery['subject']>['who']): Promise<ResolvedTarget | undefined> {
    if (who.kind !== 'mention') return who;
    const id = await memberObjectId(context, who.teamsId, this.options.logger);
    return id ? { kind: 'objectId', id } : undefined;
  }

  /** Written in the security channel (any thread), or listed in its roster. Deny by default when the roster can't be read. */
  private async inSecurityChannel(context: TurnContext, acting: Acting): Promise<boolean> {
    const channel = this.options.securityChannel;
    if (!channel?.configured) return false;
    if (channel.isHere(context.activity)) return true;
    const known = await channel.get();
    if (!known) return false;
    let member = false;
    try {
      await context.adapter.continueConversationAsync(this.options.appId, known.reference, async (channelContext) => {
        const found = await TeamsInfo.getMember(channelContext, acting.person.aadObjectId);
        member = (found.aadObjectId ?? '').toLowerCase() === acting.person.aadObjectId.toLowerCase();
      });
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (status !== 404) this.options.logger.warn({ err: error, status }, 'could not read the security channel roster for audit access');
    }
    return member;
  }

  private async send(context: TurnContext, card: AdaptiveCard): Promise<void> {
    await sendCard(context, card);
  }
}

function scopeOf(subject: Extract<AuditOutcome, { kind: 'listed' }>['subject']): string {
  if (!subject) return '';
  const who =
    subject.displayName && subject.userPrincipalName
      ? `${subject.displayName} (${subject.userPrincipalName})`
      : (subject.userPrincipalName ?? subject.id ?? 'that person');
  return subject.role === 'target' ? ` about ${who}` : ` by ${who}`;
}

function person(
  p: { aadObjectId?: string; id?: string; name?: string; displayName?: string; userPrincipalName?: string } | undefined,
): string | undefined {
  if (!p) return undefined;
  const name = p.name ?? p.displayName;
  const upn = p.userPrincipalName;
  if (name && upn) return `${name} (${upn})`;
  return name ?? upn ?? p.aadObjectId ?? p.id;
}

function entryView(record: AuditRecord): AuditEntryView {
  return {
    at: record.at,
    action: record.action,
    outcome: record.outcome,
    actor: person(record.actor),
    target: person(record.target),
    code: record.code,
    graphRequestId: record.graphRequestId,
    requestRef: record.requestId?.slice(0, 8),
    detail: record.detail ? shorten(record.detail, 160) : undefined,
  };
}

/**
 * Export text that cannot end the code block it is shown in: a backtick (which a display name may
 * hold) becomes U+02CB in CSV; JSON Lines escape it as \u0060, which is still the same JSON.
 */
function inlineSafe(content: string, format: 'csv' | 'jsonl'): string {
  return format === 'jsonl' ? content.replaceAll('`', '\\u0060') : content.replaceAll('`', '\u02cb');
}
