/**
 * `revocation.confirm` (and `revocation.retry`): the requester's click runs the revoke with
 * their own delegated session. The use case decides who may (its check before sign-in, and again
 * under compare-and-set); this handler asks for the sign-in, keeps within the invoke budget, and
 * shows the outcome to everyone who sees the card.
 */
import type { InvokeResponse } from 'botbuilder';
import type { ConfirmOutcome } from '../../app/revocation/revocationService';
import type { AdaptiveCard } from '../../cards/render';
import { deadlineIn } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import { cardResponse, messageResponse, publish, replaceForEveryone } from '../cardUpdates';
import { containmentFrom } from '../containmentChoice';
import { explainDecision, STORAGE_UNAVAILABLE } from '../explain';
import type { BotServices, CardHandler, CardTurn } from '../turn';
import { actingFor, clickedCard, toPersonRef } from '../turnHelpers';
import { afterAnswer, answerWithinBudget } from '../withinBudget';
import { requestCard } from './requestCard';

/** `revocation.confirm`: with the containment steps ticked on the card. */
export const confirm: CardHandler = (turn) => run(turn, turn.data);

/** `revocation.retry`: the same request again, nothing newly ticked. */
export const retry: CardHandler = (turn) => run(turn, {});

async function run(turn: CardTurn, ticked: Readonly<Record<string, unknown>>): Promise<InvokeResponse> {
  const { bot, context, person } = turn;
  const check = await bot.revocations.checkConfirm(toPersonRef(person), turn.subjectId);
  if (check.kind === 'refused') {
    if (!check.request) return cardResponse(bot.presenter.failure(explainDecision(check.problem)));
    if (check.problem === 'not_requester' || check.problem === 'wrong_tenant')
      return messageResponse(explainDecision('not_requester', { requesterName: check.request.requester.name }).message);
    return cardResponse(await requestCard(turn, check.request));
  }
  const limited = bot.limits.forInvoke('revoke', person);
  if (limited) return limited;
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const acting = actingFor(person, session);
  const work = bot.revocations.confirm(acting, turn.subjectId, {
    deadline: deadlineIn(bot.budgets.invokeInMs + bot.budgets.backgroundInMs),
    containment: containmentFrom(ticked),
  });
  return answerWithinBudget(turn, work, {
    what: 'background revoke',
    inTime: async (outcome) => {
      const card = outcomeCard(bot, outcome, acting.person);
      if (outcome.kind === 'completed' && context.activity.replyToId)
        await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
      // The person waits for the revoke only; the read-back that verifies it updates the card after.
      const { verify } = outcome.kind === 'completed' ? outcome : {};
      if (verify) {
        const clicked = clickedCard(context);
        afterAnswer(turn, 'verifying the revoke', async () => {
          const verified = await verify();
          // Recorded either way (a refresh shows it); without the clicked message there is no card to update.
          if (clicked.activityId)
            await publish(clicked.adapter, bot.appId, clicked.reference, clicked.activityId, bot.presenter.request(verified), bot.logger);
        });
      }
      return cardResponse(card);
    },
    meanwhile: async () => {
      const current = await bot.revocations.get(turn.subjectId);
      return cardResponse(current ? bot.presenter.request(current) : bot.presenter.notice('Working on it', 'Revoking sessions…'));
    },
    // The person already has "working…": the card is updated once, verified.
    later: async (outcome, clicked) => {
      const final: ConfirmOutcome =
        outcome.kind === 'completed' && outcome.verify ? { ...outcome, request: await outcome.verify() } : outcome;
      await publish(clicked.adapter, bot.appId, clicked.reference, clicked.activityId, outcomeCard(bot, final, acting.person), bot.logger);
    },
  });
}

function outcomeCard(bot: BotServices, outcome: ConfirmOutcome, person: PersonRef): AdaptiveCard {
  switch (outcome.kind) {
    case 'completed':
      return bot.presenter.request(outcome.request);
    case 'storage_unavailable':
      return bot.presenter.failure(STORAGE_UNAVAILABLE);
    case 'refused':
      return outcome.request && outcome.problem !== 'not_requester'
        ? bot.presenter.request(outcome.request)
        : bot.presenter.failure(explainDecision(outcome.problem, { requesterName: outcome.request?.requester.name ?? person.name }));
  }
}
