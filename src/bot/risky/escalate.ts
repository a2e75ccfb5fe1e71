/**
 * `risky.escalate` ("Ask the security channel" on a `risky` entry, four-eyes mode): the chosen user
 * goes to the security channel as an alert whose requester is the person who sent it — so anyone
 * there but them may revoke, contain, confirm compromised or dismiss the risk, once, with their own
 * token. The user and their risk are read again with the sender's token; one alert per risk change.
 */
import { deadlineIn } from '../../domain/clock';
import { cardResponse, messageResponse } from '../cardUpdates';
import { explainApprovalRoute, explainDecision, explainDirectoryFailure } from '../explain';
import type { CardHandler } from '../turn';
import { actingFor, toPersonRef } from '../turnHelpers';

export const escalateRisky: CardHandler = async (turn) => {
  const { bot, context, person, data } = turn;
  const approvals = bot.approvals;
  const intake = approvals?.alertIntake;
  if (!approvals || !intake) return messageResponse('There is no security channel here: open the person’s card to act yourself.');
  const choice = typeof data.choice === 'number' ? data.choice : typeof data.choice === 'string' ? Number(data.choice) : Number.NaN;
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const acting = actingFor(person, session);
  const picked = await bot.revocations.picked(acting, turn.subjectId, choice);
  if (!picked.ok)
    return picked.error === 'not_requester'
      ? messageResponse('Only the person who asked for this list can send someone from it.')
      : messageResponse(explainDecision(picked.error).message);
  const call = { deadline: deadlineIn(bot.budgets.invokeInMs) };
  const [user, risk] = await Promise.all([
    session.directory.getUser({ kind: 'objectId', id: picked.value }, call),
    session.evidence?.riskOf(picked.value, call),
  ]);
  if (!user.ok) {
    const why = explainDirectoryFailure(user.error.code);
    return cardResponse(bot.presenter.notice(why.title, why.message, 'warning'));
  }
  const known = risk?.ok ? risk.value : undefined;
  const answer = await intake.raiseFromInbox(toPersonRef(person), {
    id: user.value.id,
    displayName: user.value.displayName,
    riskLevel: known?.level ?? 'unknown',
    ...(known?.updatedAt ? { riskLastUpdatedDateTime: known.updatedAt } : {}),
  });
  const channelName = await approvals.channel.displayName();
  if (answer.status === 201)
    return messageResponse(`${user.value.displayName} is in ${channelName} now: someone there (not you) may act on it.`);
  if (answer.status === 200) return messageResponse(`${user.value.displayName} is already waiting in ${channelName}.`);
  if (answer.status === 503) return messageResponse(explainApprovalRoute('channel_unknown', channelName).message);
  const why = typeof answer.body.error === 'string' ? answer.body.error : 'try again.';
  return messageResponse(`${user.value.displayName} could not be sent to ${channelName}: ${why}`);
};
