/**
 * `revoke group "…"` / `revoke department "…"`: the members are resolved into a run with the
 * sender's delegated session, and the confirmation card shows the count, a sample and the admins
 * by tier. Starting it — or, with a security channel, an approver approving it — revokes in
 * $batch chunks in the background.
 */
import type { BulkSourceRequest } from '../../app/bulk/bulkRevocationService';
import { NAMESPACE } from '../../app/ports/namespaces';
import { describeBulkSource } from '../../domain/bulkCommand';
import type { Command } from '../../domain/command';
import { rememberRequester } from '../approval/requesterConversations';
import { cardActivity } from '../cardUpdates';
import { explainDirectoryFailure } from '../explain';
import { sessionFor } from '../signIn/commandSession';
import type { CommandTurn } from '../turn';
import { bulkActingFor, sendCard } from '../turnHelpers';
import { runCard } from './runCards';

type BulkCommand = Extract<Command, { kind: 'revokeBulk' }>;

/** Resolves the group's or department's users into a run and shows its confirmation card (or says why not). */
export async function prepare(turn: CommandTurn<BulkCommand>): Promise<void> {
  const { bot, context, person } = turn;
  const bulk = bot.bulk;
  const notice = async (title: string, message: string, tone: 'info' | 'warning'): Promise<void> => {
    await sendCard(context, bot.presenter.notice(title, message, tone));
  };
  if (!bulk) return notice('Bulk revocation isn’t available here', 'This bot was started without bulk revocation.', 'info');
  const session = await sessionFor(turn, { command: turn.command });
  if (!session) return;
  const source = turn.command.source;
  const label = describeBulkSource(source);
  const acting = bulkActingFor(person, session);
  if (!acting) return notice('Bulk revocation isn’t available', 'This deployment cannot read groups or departments.', 'warning');
  const request: BulkSourceRequest =
    source.kind === 'department' ? { kind: 'department', department: source.name } : { kind: 'group', group: source.ref };
  const prepared = await bulk.service.prepare(acting, request, { maxTargets: bulk.maxTargets });
  switch (prepared.kind) {
    case 'prepared': {
      const sent = await context.sendActivity(cardActivity(runCard(turn, bulk, prepared.run)));
      if (sent?.id) {
        await bulk.service.attachCard(prepared.run.id, { conversationId: context.activity.conversation.id, activityId: sent.id });
        // Where the requester's card is, for progress updates and the final report (also after a restart).
        await rememberRequester(bot, NAMESPACE.bulkRequesterConversations, prepared.run.id, context, sent.id, prepared.run.expiresAt);
      }
      return;
    }
    case 'too_many':
      return notice(
        'Too many users for one run',
        `The ${label} has ${prepared.exact ? prepared.count : `more than ${prepared.maxTargets}`} users; one run takes at most ${prepared.maxTargets}. Split it (for example by department), or ask your administrator about BULK_MAX_TARGETS.`,
        'warning',
      );
    case 'empty':
      return notice('Nobody to revoke', `The ${label} has no users in it.`, 'info');
    case 'not_found':
      return notice('Not found', `No ${label} exists in your directory. Check the name, or use the group's object id.`, 'info');
    case 'ambiguous_group':
      return notice(
        'Several groups have that name',
        `More than one ${label} exists. Use the group's object id instead: revoke group <object id>.`,
        'info',
      );
    case 'failed': {
      // Reading members is a permission matter (GroupMember.Read.All / User.Read.All), not a directory role.
      const why =
        prepared.failure.code === 'forbidden'
          ? {
              title: 'Couldn’t read who is in it',
              message: `Microsoft Graph refused to list the members of the ${label}. The app may lack the GroupMember.Read.All permission in your organisation.`,
              hint: 'Ask your Entra administrator to grant it (see the set-up guide).',
            }
          : explainDirectoryFailure(prepared.failure.code);
      await sendCard(context, bot.presenter.failure(why, { graphRequestId: prepared.failure.graphRequestId }));
      return;
    }
  }
}
