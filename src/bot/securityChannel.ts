/**
 * The security channel where approval requests go. The bot learns the channel's conversation
 * reference (service URL included) when it is installed in the channel's team or from any
 * message in the channel, and keeps it in the state store, so approvals work after a restart
 * and on every instance. Posting to it and reading its roster happen proactively.
 */
import {
  TeamsInfo,
  TurnContext,
  type Activity,
  type BotAdapter,
  type ConversationReference,
  type TeamsPagedMembersResult,
} from 'botbuilder';
import type { ApprovalRoute } from '../app/approval/approvalWorkflow';
import { NAMESPACE } from '../app/ports/namespaces';
import type { StateStore } from '../app/ports/stateStore';
import type { Logger } from '../observability/logger';
import type { Clock } from '../domain/clock';

export interface KnownChannel {
  readonly channelId: string;
  readonly name?: string;
  readonly isPrivate: boolean;
  readonly teamId?: string;
  readonly reference: Partial<ConversationReference>;
  readonly learnedAt: string;
}

export type PostResult =
  { ok: true; conversationId: string; activityId: string } | { ok: false; problem: 'bot_not_in_team' | 'post_failed' };

/** The channel id without a thread suffix (`19:…@thread.tacv2;messageid=…` → `19:…@thread.tacv2`). */
export function baseChannelId(conversationId: string | undefined): string {
  return (conversationId ?? '').split(';')[0] ?? '';
}

export class SecurityChannel {
  private cached: KnownChannel | undefined;

  constructor(
    private readonly store: StateStore,
    readonly channelId: string | undefined,
    private readonly appId: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  get configured(): boolean {
    return this.channelId !== undefined;
  }

  /** Whether this activity happens in the security channel (any thread of it). */
  isHere(activity: Partial<Activity>): boolean {
    return this.channelId?.toLowerCase() === baseChannelId(activity.conversation?.id).toLowerCase();
  }

  /** The channel as last learned, if ever. */
  async get(): Promise<KnownChannel | undefined> {
    if (!this.channelId) return undefined;
    if (this.cached) return this.cached;
    const stored = await this.store.get<KnownChannel>(NAMESPACE.channelReferences, this.channelId.toLowerCase());
    this.cached = stored?.value;
    return this.cached;
  }

  /** Where an approval card would go now: the channel as learned, or why it cannot go there (not learned yet, private). */
  async route(): Promise<ApprovalRoute> {
    const known = await this.get();
    if (!known) return { ok: false, problem: 'channel_unknown' };
    return known.isPrivate ? { ok: false, problem: 'private_channel' } : { ok: true, channelId: known.channelId };
  }

  /** A display name for cards. */
  async displayName(): Promise<string> {
    await this.get();
    return this.cachedDisplayName();
  }

  /** The display name as last loaded (for synchronous rendering). */
  cachedDisplayName(): string {
    return this.cached?.name ? `#${this.cached.name}` : 'the security channel';
  }

  /** Learns the channel from an activity: a message in it, or the bot's installation in its team. */
  async learn(context: TurnContext): Promise<void> {
    const channelId = this.channelId;
    if (!channelId) return;
    const activity = context.activity;
    const channelData = (activity.channelData ?? {}) as {
      team?: { id?: string };
      channel?: { id?: string; name?: string; membershipType?: string };
    };
    try {
      if (this.isHere(activity) && activity.type === 'message') {
        await this.remember(
          channelId,
          activity,
          channelData.channel?.name,
          channelData.channel?.membershipType === 'private',
          channelData.team?.id,
        );
        return;
      }
      if (activity.type === 'conversationUpdate' && channelData.team?.id) {
        const channels = await TeamsInfo.getTeamChannels(context, channelData.team.id);
        const match = channels.find((c) => c.id?.toLowerCase() === channelId.toLowerCase());
        if (match)
          await this.remember(
            channelId,
            activity,
            match.name ?? undefined,
            (match as { membershipType?: string }).membershipType === 'private',
            channelData.team.id,
          );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not learn the security channel from this activity');
    }
  }

  /** Posts a new card to the channel; returns where it is. */
  async post(adapter: BotAdapter, activity: Partial<Activity>): Promise<PostResult> {
    const known = await this.get();
    const channelId = this.channelId;
    if (!known || !channelId) return { ok: false, problem: 'bot_not_in_team' };
    let result: PostResult = { ok: false, problem: 'post_failed' };
    try {
      await adapter.continueConversationAsync(this.appId, known.reference, async (context) => {
        const [, conversationId] = await TeamsInfo.sendMessageToTeamsChannel(context, activity as Activity, channelId, this.appId);
        // TeamsInfo returns the new thread's conversation id (…;messageid=<n>): the message id is that n.
        const activityId = /;messageid=(\d+)/.exec(conversationId)?.[1];
        result = activityId ? { ok: true, conversationId, activityId } : { ok: false, problem: 'post_failed' };
      });
    } catch (error) {
      const code =
        (error as { code?: unknown; body?: { error?: { code?: unknown } } }).body?.error?.code ?? (error as { code?: unknown }).code;
      const status = (error as { statusCode?: unknown }).statusCode;
      this.logger.warn({ err: error, status }, 'posting to the security channel failed');
      result = { ok: false, problem: code === 'BotNotInConversationRoster' || status === 403 ? 'bot_not_in_team' : 'post_failed' };
    }
    return result;
  }

  /** Teams user ids of the channel's members (at most `limit`), for user-specific card views. */
  async memberIds(adapter: BotAdapter, limit: number): Promise<string[]> {
    const known = await this.get();
    if (!known) return [];
    const ids: string[] = [];
    try {
      await adapter.continueConversationAsync(this.appId, known.reference, async (context) => {
        // A roster page as the connector sends it: `members` may be missing.
        const page: Partial<TeamsPagedMembersResult> = await TeamsInfo.getPagedMembers(context, Math.min(Math.max(limit, 50), 500));
        for (const member of page.members ?? []) if (member.id && ids.length < limit) ids.push(member.id);
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the security channel roster; approvers will refresh by hand');
    }
    return ids;
  }

  private async remember(
    channelId: string,
    activity: Partial<Activity>,
    name: string | undefined,
    isPrivate: boolean,
    teamId: string | undefined,
  ): Promise<void> {
    const known = await this.get();
    if (known && known.reference.serviceUrl === activity.serviceUrl && known.isPrivate === isPrivate && (known.name === name || !name))
      return;
    const base = TurnContext.getConversationReference(activity);
    const reference: Partial<ConversationReference> = {
      channelId: base.channelId,
      serviceUrl: base.serviceUrl,
      bot: base.bot,
      conversation: { id: channelId, isGroup: true, conversationType: 'channel', tenantId: base.conversation?.tenantId, name: '' },
    };
    const value: KnownChannel = {
      channelId,
      name: name ?? known?.name,
      isPrivate,
      teamId: teamId ?? known?.teamId,
      reference,
      learnedAt: this.clock.now().toISOString(),
    };
    const key = channelId.toLowerCase();
    const existing = await this.store.get<KnownChannel>(NAMESPACE.channelReferences, key);
    if (existing) await this.store.replace(NAMESPACE.channelReferences, key, value, existing.etag);
    else await this.store.create(NAMESPACE.channelReferences, key, value);
    this.cached = value;
    this.logger.info({ channelId, isPrivate }, 'learned the security channel');
  }
}
