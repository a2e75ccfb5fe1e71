/**
 * `revoke <someone>`: the target is resolved from the conversation (an @mention becomes an
 * object id through the roster) before any sign-in, then looked up with the sender's own
 * delegated session: one match opens a request and shows its confirmation card; several show a
 * pick list.
 */
import type { ResolvedTarget } from '../../app/revocation/revocationService';
import { deadlineIn } from '../../domain/clock';
import type { Command } from '../../domain/command';
import { answerDirectoryFailure, sessionFor } from '../signIn/commandSession';
import type { CommandTurn, Turn } from '../turn';
import type { TargetReference } from '../../domain/targetReference';
import { actingFor, memberObjectId, sendCard } from '../turnHelpers';
import { adviceForCard, warmAdvice } from '../evidence/advice';

type RevokeCommand = Extract<Command, { kind: 'revoke' }>;

/** Looks the target up with the sender's session and shows the confirmation card, a pick list, or why not. */
export async function revoke(turn: CommandTurn<RevokeCommand>): Promise<void> {
  const target = turn.resumed?.target ?? (await resolveTarget(turn, turn.command.target));
  if (!target) return;
  const parked = { command: turn.command, target };
  const session = await sessionFor(turn, parked);
  if (!session) return;
  const { bot, context } = turn;
  warmAdvice(turn, session);
  const found = await bot.revocations.lookup(actingFor(turn.person, session), target, { deadline: deadlineIn(bot.budgets.invokeInMs) });
  switch (found.kind) {
    case 'found':
      // Card updates address the message a click came from (replyToId): nothing to store here.
      await sendCard(context, bot.presenter.request(found.request, { advice: await adviceForCard(turn, session, found.request) }));
      return;
    case 'several':
      await sendCard(context, bot.presenter.pickList(found.pickId, found.query, found.candidates, found.truncated));
      return;
    case 'none':
      await sendCard(
        context,
        bot.presenter.notice(
          'No one found',
          `No one in your directory matches “${found.query}”. Check the spelling, or use their email address (UPN).`,
          'info',
        ),
      );
      return;
    case 'failed':
      return answerDirectoryFailure(turn, found.failure, parked);
  }
}

/** A mention becomes an object id through the conversation's roster; text targets pass through. Undefined: the sender was told why not. */
export async function resolveTarget(turn: Turn, target: TargetReference): Promise<ResolvedTarget | undefined> {
  switch (target.kind) {
    case 'self':
      return { kind: 'self' };
    case 'objectId':
      return { kind: 'objectId', id: target.id };
    case 'userPrincipalName':
      return { kind: 'userPrincipalName', upn: target.upn };
    case 'displayName':
      return { kind: 'displayName', text: target.text };
    case 'mention': {
      const id = await memberObjectId(turn.context, target.teamsId, turn.bot.logger);
      if (id) return { kind: 'objectId', id };
      await sendCard(
        turn.context,
        turn.bot.presenter.notice(
          'Couldn’t identify that person',
          `Teams couldn’t tell me who ${target.name || 'that'} is in this conversation. Try their email address instead, e.g. revoke adele@contoso.com.`,
          'warning',
        ),
      );
      return undefined;
    }
  }
}
