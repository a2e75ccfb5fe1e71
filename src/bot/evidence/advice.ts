/**
 * The "can I?" advice for a lookup card, from the requester's delegated session (whose memory
 * keeps their roles while it lasts). Advice never holds a card back: when it cannot be read in
 * time, the card goes without it.
 */
import { adviceFor, requesterRoles, type RequesterAdvice } from '../../app/evidence/requesterAdvice';
import { deadlineIn } from '../../domain/clock';
import type { RevocationRequest } from '../../domain/revocationRequest';
import type { DelegatedSession } from '../../identity/delegatedSessions';
import type { Turn } from '../turn';
import { actingFor } from '../turnHelpers';

/** Starts reading the requester's roles (remembered by the session), so the advice is ready when the lookup is. */
export function warmAdvice(turn: Turn, session: DelegatedSession): void {
  if (turn.bot.approvals) return;
  void requesterRoles(actingFor(turn.person, session), { deadline: deadlineIn(turn.bot.budgets.invokeInMs) }).catch(() => undefined);
}

/** The advice for this requester and request; undefined in four-eyes mode (the approver acts), for their own sessions, or when it could not be read. */
export async function adviceForCard(
  turn: Turn,
  session: DelegatedSession | undefined,
  request: RevocationRequest,
): Promise<RequesterAdvice | undefined> {
  if (!session || turn.bot.approvals || request.target.self === true || request.state !== 'pending') return undefined;
  try {
    return await adviceFor(actingFor(turn.person, session), request, { deadline: deadlineIn(turn.bot.budgets.invokeInMs) });
  } catch (error) {
    turn.bot.logger.warn({ err: error }, 'could not read the requester’s roles for the can-I line');
    return undefined;
  }
}
