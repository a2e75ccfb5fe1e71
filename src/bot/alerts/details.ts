/**
 * `alert.details` ("Show details" on an alert card): the first person in the security channel to
 * click loads the alert's users with their own sign-in (src/app/alerts/alertDetails.ts); everyone's
 * card then shows them. Nobody signs in for a click that cannot load anything.
 */
import type { Activity } from 'botbuilder';
import { deadlineIn } from '../../domain/clock';
import { cardResponse, messageResponse, replaceForEveryone } from '../cardUpdates';
import { explainDecision } from '../explain';
import type { CardHandler } from '../turn';
import { actingFor, toPersonRef } from '../turnHelpers';

export const showAlertDetails: CardHandler = async (turn) => {
  const { bot, context, person } = turn;
  const approvals = bot.approvals;
  const details = approvals?.alertDetails;
  if (!approvals || !details) return messageResponse('Alerts are not set up here. Start again with a new command.');
  const activity: Partial<Activity> = context.activity;
  const conversationId = activity.conversation?.id ?? '';
  const checked = await details.check(turn.subjectId, toPersonRef(person), conversationId);
  if (checked.kind === 'refused') {
    const channelName = checked.problem === 'outside_approval_channel' ? await approvals.channel.displayName() : undefined;
    return messageResponse(explainDecision(checked.problem, { channelName }).message);
  }
  if (checked.alert.details) return cardResponse(bot.presenter.alert(checked.alert));
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const shown = await details.show(actingFor(person, session), turn.subjectId, conversationId, deadlineIn(bot.budgets.invokeInMs));
  if (shown.kind === 'refused') return messageResponse(explainDecision(shown.problem).message);
  const card = bot.presenter.alert(shown.alert);
  if (activity.replyToId) await replaceForEveryone(context, activity.replyToId, card, bot.logger);
  return cardResponse(card);
};
