/**
 * The four-eyes clicks, written once for every kind of approvable subject (subjects.ts): the
 * requester's "Request revocation" posts the approval card to the security channel; an approver's
 * Approve runs the work with the approver's own sign-in; Reject closes it; the requester may
 * withdraw it while it waits. The channel card is updated for everyone, the requester is told in
 * their own conversation, and each viewer sees their own view (Universal Actions refresh). The
 * approval workflow decides every click from its stored record; these handlers only present.
 */
import type { Activity, BotAdapter, InvokeResponse } from 'botbuilder';
import type { ApproveOutcome, DecisionOutcome } from '../../app/approval/approvalWorkflow';
import { MAX_REFRESH_USER_IDS } from '../../cards/refresh';
import type { Approvable, Approver } from '../../domain/approval';
import { deadlineIn } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import type { DecisionProblem } from '../../domain/problems';
import { cardActivity, cardResponse, messageResponse, publish, replaceForEveryone } from '../cardUpdates';
import { containmentFrom } from '../containmentChoice';
import { explainApprovalRoute, explainDecision, STORAGE_UNAVAILABLE } from '../explain';
import type { BotServices, CardHandler, CardTurn, Turn } from '../turn';
import { toPersonRef } from '../turnHelpers';
import { afterAnswer, answerWithinBudget } from '../withinBudget';
import { rememberRequester, requesterConversation, tellRequester } from './requesterConversations';
import { alertSubjects, bulkSubjects, requestSubjects, scheduleSubjects, type SubjectAtEdge } from './subjects';
import type { AlertAction } from '../../domain/alert';

type Subjects<T extends Approvable> = SubjectAtEdge<T, { readonly person: PersonRef }, unknown>;
type Select<T extends Approvable> = (bot: BotServices) => Subjects<T> | undefined;

const NOT_SET_UP = 'Approvals are not set up here. Start again with a new command.';

/** `revocation.request`: the requester sends a single request to the security channel. */
export const submitRequest: CardHandler = (turn) => submit(turn, requestSubjects);
/** `bulk.request`: the requester sends a bulk run to the security channel. */
export const submitBulk: CardHandler = (turn) => submit(turn, bulkSubjects);
/** `approval.approve`: an approver approves a single request; the revoke runs with their token. */
export const approveRequest: CardHandler = (turn) => approve(turn, requestSubjects);
/** `bulk.approve`: an approver approves a bulk run; it starts with their token. */
export const approveBulk: CardHandler = (turn) => approve(turn, bulkSubjects);
/** `approval.reject`: an approver rejects a single request, with the note they typed (optional). */
export const rejectRequest: CardHandler = (turn) => reject(turn, requestSubjects);
/** `bulk.reject`: the same for a bulk run. */
export const rejectBulk: CardHandler = (turn) => reject(turn, bulkSubjects);
/** `schedule.request`: the author of a schedule asks the security channel to approve (arm) it. */
export const submitSchedule: CardHandler = (turn) => submit(turn, scheduleSubjects);
/** `schedule.approve`: an approver arms a schedule (no Graph call; each due card is acted on with the clicker's token). */
export const approveSchedule: CardHandler = (turn) => approve(turn, scheduleSubjects);
/** `schedule.reject`: an approver rejects a schedule. */
export const rejectSchedule: CardHandler = (turn) => reject(turn, scheduleSubjects);
/** `alert.*`: an approver acts on an alert from a security tool, with their own token; exactly one action wins. */
export function actOnAlert(action: AlertAction): CardHandler {
  return (turn) => approve(turn, (bot) => alertSubjects(bot, action));
}
/** `alert.close`: "Not our case" — the alert is closed with the clicker's note; nothing is done in the directory. */
export const closeAlert: CardHandler = (turn) => reject(turn, (bot) => alertSubjects(bot, 'revoke'));
/** The requester withdraws a single request that waits for approval (their `revocation.cancel` on it). */
export const withdrawRequest: CardHandler = (turn) => withdraw(turn, requestSubjects);

async function submit<T extends Approvable>(turn: CardTurn, select: Select<T>): Promise<InvokeResponse> {
  const subjects = select(turn.bot);
  const channel = turn.bot.approvals?.channel;
  if (!subjects || !channel) return messageResponse(NOT_SET_UP);
  const { bot, context, person } = turn;
  const channelName = await channel.displayName();
  const submitted = await subjects.workflow.submit(toPersonRef(person), turn.subjectId, {
    route: await channel.route(),
    reason: text(turn.data.reason),
    steps: containmentFrom(turn.data),
  });
  switch (submitted.kind) {
    case 'refused':
      return answerRefusal(turn, subjects, submitted, 'requester');
    case 'unroutable':
      return keepOpen(turn, subjects, submitted.subject, explainApprovalRoute(submitted.problem, channelName));
    case 'duplicate': {
      const notice = subjects.duplicateNotice?.(submitted.existing, channelName) ?? {
        title: 'Already waiting for approval',
        message: `This already waits for approval in ${channelName}.`,
      };
      return cardResponse(bot.presenter.notice(notice.title, notice.message, 'info'));
    }
    case 'submitted':
      break;
  }
  const subject = submitted.subject;
  const adapter = context.adapter;
  const audience = await audienceOf(bot, adapter, person.teamsId);
  const posted = await channel.post(adapter, cardActivity(await subjects.cardForEveryone(subject, { refreshUserIds: audience })));
  if (!posted.ok) {
    const back = await subjects.workflow.unroute(toPersonRef(person), subject.id, posted.problem);
    return keepOpen(turn, subjects, back ?? subject, explainApprovalRoute(posted.problem, channelName));
  }
  await subjects.workflow.attachCard(subject.id, { conversationId: posted.conversationId, activityId: posted.activityId });
  // Where the requester's copy is, so decisions update it and tell them (kept if already known).
  await rememberRequester(bot, subjects.conversations, subject.id, context, context.activity.replyToId, subject.expiresAt);
  const card = await subjects.card(turn, subject);
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
  return cardResponse(card);
}

async function approve<T extends Approvable>(turn: CardTurn, select: Select<T>): Promise<InvokeResponse> {
  const subjects = select(turn.bot);
  if (!subjects) return messageResponse(NOT_SET_UP);
  const { bot, context, person } = turn;
  const approver = approverOf(turn);
  // Nobody signs in for a click that cannot be an approval.
  const check = await subjects.workflow.check(turn.subjectId, approver);
  if (check.kind === 'refused') return answerRefusal(turn, subjects, check, 'approver');
  const session = await bot.signIn.forClick(context, person);
  if ('status' in session) return session;
  const acting = subjects.acting(person, session, context.adapter);
  if (!acting) return messageResponse('Bulk revocation isn’t available in this deployment.');
  const work = subjects.workflow.approve(acting, approver, turn.subjectId, {
    deadline: deadlineIn(bot.budgets.invokeInMs + bot.budgets.backgroundInMs),
  });
  return answerWithinBudget(turn, work, {
    what: 'background approval',
    inTime: async (outcome) => {
      const answer = await afterDecision(turn, subjects, outcome);
      // The approver waits for the approved work only; the read-back that verifies it updates the cards after.
      const verify = outcome.kind === 'decided' ? outcome.verify : undefined;
      if (verify) {
        const adapter = context.adapter;
        afterAnswer(turn, 'verifying the approved revoke', async () => showVerified(bot, adapter, subjects, await verify()));
      }
      return answer;
    },
    meanwhile: async () => {
      const current = await subjects.workflow.get(turn.subjectId);
      return cardResponse(current ? await subjects.card(turn, current) : bot.presenter.notice('Working on it', 'Revoking sessions…'));
    },
    // The approver already has "working…": the cards are updated once, verified.
    later: async (outcome, clicked) => {
      if (outcome.kind !== 'decided') return;
      if (outcome.execution !== undefined) subjects.follow?.(clicked.adapter, outcome.execution);
      // A read-back that could not be recorded still leaves the decision to publish and the requester to tell.
      const subject = outcome.verify
        ? await outcome.verify().catch((error: unknown) => {
            bot.logger.warn({ err: error, subjectId: outcome.subject.id }, 'could not record the read-back of the approved revoke');
            return outcome.subject;
          })
        : outcome.subject;
      await publish(clicked.adapter, bot.appId, clicked.reference, clicked.activityId, await subjects.cardForEveryone(subject), bot.logger);
      if (subject.state !== 'awaitingApproval' && outcome.execution === undefined) await tellOf(bot, clicked.adapter, subjects, subject);
    },
  });
}

/** The verified subject (or plainly not verified) on the cards everyone sees: the approval card and the requester's copy, without telling them again. */
async function showVerified<T extends Approvable>(
  bot: BotServices,
  adapter: BotAdapter,
  subjects: Subjects<T>,
  verified: T,
): Promise<void> {
  await subjects.updateCards(adapter, verified);
  await tellRequester(bot, adapter, subjects.conversations, verified.id, await subjects.cardForEveryone(verified));
}

async function reject<T extends Approvable>(turn: CardTurn, select: Select<T>): Promise<InvokeResponse> {
  const subjects = select(turn.bot);
  if (!subjects) return messageResponse(NOT_SET_UP);
  const approver = approverOf(turn);
  const check = await subjects.workflow.check(turn.subjectId, approver);
  if (check.kind === 'refused') return answerRefusal(turn, subjects, check, 'approver');
  // No sign-in needed: nothing changes in the directory.
  return afterDecision(turn, subjects, await subjects.workflow.reject(approver, turn.subjectId, text(turn.data.note)));
}

async function withdraw<T extends Approvable>(turn: CardTurn, select: Select<T>): Promise<InvokeResponse> {
  const subjects = select(turn.bot);
  if (!subjects) return messageResponse(NOT_SET_UP);
  const { bot, context } = turn;
  const outcome = await subjects.workflow.withdraw(toPersonRef(turn.person), turn.subjectId);
  if (outcome.kind === 'refused') return answerRefusal(turn, subjects, outcome, 'requester');
  const card = await subjects.card(turn, outcome.subject);
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, bot.logger);
  await subjects.updateCards(context.adapter, outcome.subject);
  return cardResponse(card);
}

/**
 * After an approver's decision: the card everyone sees is replaced (while it stays open, it keeps
 * refreshing to each approver's own view); an approver whose approval did not go through is told
 * why; the requester is told now, or when the approved work ends.
 */
async function afterDecision<T extends Approvable>(
  turn: CardTurn,
  subjects: Subjects<T>,
  outcome: ApproveOutcome<T, unknown> | DecisionOutcome<T>,
): Promise<InvokeResponse> {
  const { bot, context } = turn;
  if (outcome.kind === 'storage_unavailable') return cardResponse(bot.presenter.failure(STORAGE_UNAVAILABLE));
  if (outcome.kind === 'refused') return answerRefusal(turn, subjects, outcome, 'approver');
  const subject = outcome.subject;
  const adapter = context.adapter;
  const execution = 'execution' in outcome ? outcome.execution : undefined;
  if (execution !== undefined) subjects.follow?.(adapter, execution);
  const waiting = subject.state === 'awaitingApproval';
  const audience = waiting
    ? await audienceOf(bot, adapter, (await requesterConversation(bot, subjects.conversations, subject.id))?.reference.user?.id)
    : undefined;
  const everyone = await subjects.cardForEveryone(subject, { refreshUserIds: audience });
  if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, everyone, bot.logger);
  // This approver could not do it (e.g. lacks the role): the subject waits for the next one.
  if (waiting) return cardResponse(await subjects.card(turn, subject, { notice: subjects.stillWaitingNotice?.(subject) }));
  if (execution === undefined) await tellOf(bot, adapter, subjects, subject);
  return cardResponse(everyone);
}

/** A refusal in words: not theirs, their own, the wrong channel — or the subject's card as it now stands. */
async function answerRefusal<T extends Approvable>(
  turn: Turn,
  subjects: Subjects<T>,
  refusal: { readonly problem: DecisionProblem; readonly subject?: T },
  as: 'requester' | 'approver',
): Promise<InvokeResponse> {
  const { problem, subject } = refusal;
  const { presenter, approvals } = turn.bot;
  if (!subject) return cardResponse(presenter.failure(explainDecision(problem)));
  if (problem === 'not_requester' || (problem === 'wrong_tenant' && as === 'requester'))
    return messageResponse(explainDecision('not_requester', { requesterName: subject.requester.name }).message);
  if (problem === 'self_approval') return messageResponse(explainDecision(problem).message);
  if (problem === 'outside_approval_channel')
    return messageResponse(explainDecision(problem, { channelName: await approvals?.channel.displayName() }).message);
  return cardResponse(await subjects.card(turn, subject));
}

/** The subject could not go to the channel: its card stays as it was, and a message says why. */
async function keepOpen<T extends Approvable>(
  turn: CardTurn,
  subjects: Subjects<T>,
  subject: T,
  why: { title: string; message: string; hint?: string },
): Promise<InvokeResponse> {
  await turn.context.sendActivity(cardActivity(turn.bot.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning')));
  return cardResponse(await subjects.card(turn, subject));
}

/** Who gets their own view of an open approval card: the channel's members but the requester (Teams takes at most MAX_REFRESH_USER_IDS). */
async function audienceOf(bot: BotServices, adapter: BotAdapter, requesterTeamsId: string | undefined): Promise<string[]> {
  const ids = (await bot.approvals?.channel.memberIds(adapter, MAX_REFRESH_USER_IDS + 1)) ?? [];
  return ids.filter((id) => id !== requesterTeamsId).slice(0, MAX_REFRESH_USER_IDS);
}

async function tellOf<T extends Approvable>(bot: BotServices, adapter: BotAdapter, subjects: Subjects<T>, subject: T): Promise<void> {
  await tellRequester(
    bot,
    adapter,
    subjects.conversations,
    subject.id,
    await subjects.cardForEveryone(subject),
    subjects.decisionText(subject),
  );
}

/** An approver's click: who, and the conversation it came from (the approval rules check it is the security channel). */
function approverOf(turn: Turn): Approver {
  const activity: Partial<Activity> = turn.context.activity;
  return { person: toPersonRef(turn.person), conversationId: activity.conversation?.id ?? '' };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
