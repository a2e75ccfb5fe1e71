/**
 * The answer to a click whose work may outlast the invoke: Teams waits only so long for an
 * Action.Execute answer, so slow work is answered "working…" at the budget and goes on in the
 * background, updating the clicked card when it is done.
 */
import type { InvokeResponse } from 'botbuilder';
import type { CardTurn } from './turn';
import { clickedCard, type ClickedCard } from './turnHelpers';

const SLOW = Symbol('the invoke budget ran out first');

/**
 * Answers a click within the invoke budget. Work done in time is answered by `inTime`. Slower
 * work is answered at the budget by `meanwhile` (a "working…" card), and goes on in the
 * background: `later` then updates the clicked card (and tells whoever must be told); a failure
 * there is logged as `what` failed.
 */
export async function answerWithinBudget<T>(
  turn: CardTurn,
  work: Promise<T>,
  answer: {
    readonly inTime: (result: T) => Promise<InvokeResponse>;
    readonly meanwhile: () => Promise<InvokeResponse>;
    readonly later: (result: T, card: ClickedCard) => Promise<void>;
    readonly what: string;
  },
): Promise<InvokeResponse> {
  const first = await Promise.race([work.then((result) => ({ result })), delay(turn.bot.budgets.invokeInMs).then((): typeof SLOW => SLOW)]);
  if (first !== SLOW) return answer.inTime(first.result);
  const card = clickedCard(turn.context);
  turn.bot.track(
    work
      .then((result) => answer.later(result, card))
      .catch((error: unknown) => turn.bot.logger.error({ err: error }, `${answer.what} failed`)),
  );
  return answer.meanwhile();
}

/**
 * Work that follows an answer and updates what the person sees (e.g. the read-back that verifies a
 * revoke): started once this turn has ended, so the answer goes out first, and tracked so shutdown
 * waits for it; a failure is logged as `what` failed.
 */
export function afterAnswer(turn: CardTurn, what: string, work: () => Promise<void>): void {
  turn.bot.track(
    new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) => turn.bot.logger.error({ err: error }, `${what} failed`)),
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
