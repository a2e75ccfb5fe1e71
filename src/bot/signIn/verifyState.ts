/**
 * `signin/verifyState`: the magic code of the visible sign-in (where Teams cannot sign in
 * silently, e.g. in channels). Redeemed for a token, checked, and the parked command runs.
 */
import type { InvokeResponse } from 'botbuilder';
import { explainSignIn } from '../explain';
import type { InvokeTurn } from '../turn';
import { sendCard } from '../turnHelpers';

/** Redeems the magic code; on success the parked command runs, otherwise the person is told why. */
export async function verifyState(turn: InvokeTurn): Promise<InvokeResponse> {
  const { context, person, bot } = turn;
  const state = (context.activity.value as { state?: unknown } | undefined)?.state;
  if (!person || typeof state !== 'string') return { status: 400 };
  const session = await bot.signIn.fromMagicCode(context, person, state);
  if (!session.ok) {
    const why = explainSignIn(session.reason === 'refused' ? session.problem : 'bad_code');
    await sendCard(context, bot.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning'));
    return { status: 200 };
  }
  await turn.resume(person, session.session);
  return { status: 200 };
}
