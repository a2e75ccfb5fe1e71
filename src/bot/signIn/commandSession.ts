/**
 * Commands that act in the directory need their sender's delegated session: the one they just
 * signed in with (a resumed command), a warm one, or none yet — the command is then parked and a
 * sign-in card sent; signing in resumes it.
 */
import type { DirectoryFailure } from '../../app/ports/directory';
import type { DelegatedSession } from '../../identity/delegatedSessions';
import { explainDirectoryFailure } from '../explain';
import type { CommandTurn } from '../turn';
import { sendCard } from '../turnHelpers';
import type { ParkedCommand } from './signIn';

/** Failures after which Entra wants a fresh sign-in. */
const SIGN_IN_AGAIN: ReadonlySet<DirectoryFailure['code']> = new Set<DirectoryFailure['code']>([
  'sign_in_expired',
  'token_invalid',
  'interaction_required',
]);

/** The sender's session for this command, or undefined when they were asked to sign in first (the command is parked). */
export async function sessionFor(turn: CommandTurn, parked: ParkedCommand): Promise<DelegatedSession | undefined> {
  if (turn.resumed) return turn.resumed.session;
  const warm = turn.bot.signIn.warm(turn.person);
  if (warm) return warm;
  await turn.bot.signIn.park(turn.context, turn.person, parked, 'Sign in so Session Revoker can look this up as you.');
  return undefined;
}

/**
 * Tells the sender why the directory refused; when Entra wants a fresh sign-in, forgets the
 * session and offers one that resumes the command — unless they have just signed in for it
 * (Entra keeps asking for more than a sign-in, e.g. MFA: no sign-in loop).
 */
export async function answerDirectoryFailure(turn: CommandTurn, failure: DirectoryFailure, parked: ParkedCommand): Promise<void> {
  await sendCard(
    turn.context,
    turn.bot.presenter.failure(explainDirectoryFailure(failure.code), { graphRequestId: failure.graphRequestId }),
  );
  if (!SIGN_IN_AGAIN.has(failure.code)) return;
  turn.bot.signIn.forget(turn.person);
  if (!turn.resumed) await turn.bot.signIn.park(turn.context, turn.person, parked, 'Sign in again to continue.');
}
