/**
 * The Teams edge: turns activities into commands and card verbs, runs the use case with the
 * acting person's delegated session, and renders the result. The person always comes from
 * the activity the channel signed; a card carries only an opaque request id and a verb.
 */
import { randomUUID } from 'node:crypto';
import {
  TeamsActivityHandler,
  TeamsInfo,
  TurnContext,
  type CloudAdapter,
  type InvokeResponse,
} from 'botbuilder';
import type { DirectoryFailureCode } from '../app/ports/directory';
import { NAMESPACE } from '../app/ports/namespaces';
import { isStorageUnavailable, type StateStore } from '../app/ports/stateStore';
import type { Acting } from '../app/acting';
import type { ConfirmOutcome, ResolvedTarget, RevocationService } from '../app/revocationService';
import { asAttachment, type AdaptiveCard } from '../cards/render';
import { isVerb, VERB, type Verb } from '../cards/verbs';
import { deadlineIn, type Clock } from '../domain/clock';
import { parseCommand, type Command } from '../domain/command';
import type { PersonRef, RevocationRequest } from '../domain/revocationRequest';
import type { Logger } from '../observability/logger';
import { explainDecision, explainDirectoryFailure, explainSignIn, STORAGE_UNAVAILABLE, UNEXPECTED } from './explain';
import type { Presenter } from './present';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { SignInGate } from './signInGate';
import { RateLimitGate } from './rateLimitGate';
import type { RateLimiter } from '../app/rateLimiter';
import type { ApprovalService } from '../app/approvalService';
import { ApprovalFlow } from './approvalFlow';
import { BulkFlow } from './bulkFlow';
import type { BulkRevocationService } from '../app/bulk/bulkRevocationService';
import type { CardRenderer } from '../cards/render';
import type { AuditCommandHandler } from './auditCommand';
import { cardResponse, messageResponse, publish, replaceForEveryone } from './cardUpdates';
import { containmentFrom } from './containmentChoice';
import type { SecurityChannel } from './securityChannel';
import { personOf, type TurnPerson } from './turnPerson';

const LOGIN_REQUEST = 'application/vnd.microsoft.activity.loginRequest';
/** turnState key: the delegated session a click acted with (see cardAction). */
const SESSION_USED = Symbol('delegated session used by this turn');
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * The `id` of a signin/tokenExchange: Teams echoes our OAuthCard's tokenExchangeResource.id (a
 * UUID we chose), but the client sends it and it becomes part of a store key, so it is bounded and
 * plain: at most 128 letters, digits, `-`, `_` or `:` (no dot or space, so no token fits in it).
 */
const TOKEN_EXCHANGE_ID = /^[A-Za-z0-9_:-]{1,128}$/;

/** A command waiting for its sender to sign in. */
interface ParkedCommand {
  readonly command: Command;
  readonly target?: ResolvedTarget;
}

export interface RevokerBotOptions {
  readonly appId: string;
  readonly service: RevocationService;
  readonly gate: SignInGate;
  readonly presenter: Presenter;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly allowedTenants: readonly string[];
  readonly invokeBudgetInMs: number;
  readonly clock: Clock;
  /** How long Graph work may go on after the invoke was answered with "working…". */
  readonly backgroundBudgetInMs?: number;
  /** Per-person and per-organisation limits on commands and revokes; none when absent. */
  readonly rateLimiter?: RateLimiter;
  /** The `audit` command; absent: the bot says the audit trail can't be read here. */
  readonly auditCommand?: AuditCommandHandler;
  /** Bulk runs (groups, departments); absent: the bot says bulk revocation isn't available. */
  readonly bulk?: { readonly service: BulkRevocationService; readonly cards: CardRenderer; readonly maxTargets: number };
  /** Four eyes: the approval use cases and the security channel; absent when SECURITY_CHANNEL_ID is unset. */
  readonly approvals?: { readonly service: ApprovalService; readonly channel: SecurityChannel };
}

type VerbHandler = (context: TurnContext, person: TurnPerson, requestId: string, data: Record<string, unknown>) => Promise<InvokeResponse>;

export class RevokerBot extends TeamsActivityHandler {
  private readonly background = new Set<Promise<unknown>>();
  private readonly verbs: Readonly<Record<Verb, VerbHandler>>;
  private readonly limits: RateLimitGate;

  constructor(private readonly options: RevokerBotOptions) {
    super();
    this.limits = new RateLimitGate(options.rateLimiter, options.presenter, options.logger);
    const approvals = options.approvals;
    this.approvalFlow = approvals
      ? new ApprovalFlow({
          appId: options.appId,
          approvals: approvals.service,
          requests: options.service,
          channel: approvals.channel,
          presenter: options.presenter,
          store: options.store,
          logger: options.logger,
          invokeBudgetInMs: options.invokeBudgetInMs,
          backgroundBudgetInMs: options.backgroundBudgetInMs,
          authenticate: (c, p) => this.authenticate(c, p),
          track: (task) => this.track(task),
        })
      : undefined;
    this.bulkFlow = options.bulk
      ? new BulkFlow({
          appId: options.appId,
          service: options.bulk.service,
          cards: options.bulk.cards,
          presenter: options.presenter,
          store: options.store,
          logger: options.logger,
          channel: approvals?.channel,
          maxTargets: options.bulk.maxTargets,
          clock: options.clock,
          authenticate: (c, p) => this.authenticate(c, p),
          track: (task) => this.track(task),
        })
      : undefined;
    const bulk = this.bulkFlow;
    const noBulk = async (): Promise<InvokeResponse> => messageResponse('Bulk revocation is not set up here.');
    const flow = this.approvalFlow;
    const noApprovals = async (): Promise<InvokeResponse> => messageResponse('Approvals are not set up here. Start again with a new command.');
    this.verbs = {
      [VERB.request]: (c, p, id, data) => (flow ? flow.request(c, p, id, data) : noApprovals()),
      [VERB.bulkStart]: (c, p, id) => (bulk ? bulk.start(c, p, id) : noBulk()),
      [VERB.bulkRequest]: (c, p, id, data) => (bulk ? bulk.request(c, p, id, data) : noBulk()),
      [VERB.bulkApprove]: (c, p, id) => (bulk ? bulk.approve(c, p, id) : noBulk()),
      [VERB.bulkReject]: (c, p, id, data) => (bulk ? bulk.reject(c, p, id, data) : noBulk()),
      [VERB.bulkCancel]: (c, p, id) => (bulk ? bulk.cancel(c, p, id) : noBulk()),
      [VERB.bulkRefresh]: (c, p, id) => (bulk ? bulk.refresh(c, p, id) : noBulk()),
      [VERB.approve]: (c, p, id) => (flow ? flow.approve(c, p, id) : noApprovals()),
      [VERB.reject]: (c, p, id, data) => (flow ? flow.reject(c, p, id, data) : noApprovals()),
      [VERB.confirm]: (c, p, id, data) => this.confirm(c, p, id, data),
      [VERB.retry]: (c, p, id) => this.confirm(c, p, id, {}),
      [VERB.cancel]: (c, p, id) => this.cancel(c, p, id),
      [VERB.pick]: (c, p, id, data) => this.pick(c, p, id, data),
      [VERB.refresh]: (c, p, id) => this.refresh(c, p, id),
    };
    this.onMessage(async (context, next) => {
      await options.approvals?.channel.learn(context);
      await this.guard(context, () => this.message(context));
      await next();
    });
    // Installation in a team teaches the bot the security channel's conversation reference.
    this.onConversationUpdate(async (context, next) => {
      await options.approvals?.channel.learn(context);
      await next();
    });
  }

  private readonly approvalFlow: ApprovalFlow | undefined;
  private readonly bulkFlow: BulkFlow | undefined;

  private track(task: Promise<unknown>): void {
    const tracked = task.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** A request as this person sees it here (approvers, the requester and others see four-eyes cards differently). */
  private async render(context: TurnContext, person: TurnPerson, request: RevocationRequest): Promise<AdaptiveCard> {
    const view = this.approvalFlow && (request.approval || request.state === 'awaitingApproval') ? await this.approvalFlow.viewFor(context, person, request) : {};
    return this.options.presenter.request(request, view);
  }

  /** Waits for work that continues after its invoke was answered (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const correlationId = randomUUID();
    try {
      const limited = this.limitInvoke(context);
      if (limited) return limited;
      switch (context.activity.name) {
        case 'adaptiveCard/action':
          return await this.cardAction(context);
        case 'signin/tokenExchange':
          return await this.tokenExchange(context);
        case 'signin/verifyState':
          return await this.verifyState(context);
        default:
          return await super.onInvokeActivity(context);
      }
    } catch (error) {
      this.options.logger.error({ err: error, correlationId, invoke: context.activity.name }, 'invoke failed');
      return cardResponse(this.options.presenter.failure(isStorageUnavailable(error) ? STORAGE_UNAVAILABLE : UNEXPECTED, { correlationId }));
    }
  }

  /**
   * Every invoke takes one command from its sender's limits, here and nowhere else, before any
   * store, audit or Graph work. Activities that name no person, or a tenant not served, are
   * not charged: their handlers refuse them without any such work.
   */
  private limitInvoke(context: TurnContext): InvokeResponse | undefined {
    const person = personOf(context.activity);
    if (!person || !this.isAllowedTenant(person)) return undefined;
    return this.limits.forInvokeActivity(context.activity, person);
  }

  // ---- messages -------------------------------------------------------------------------

  private async message(context: TurnContext): Promise<void> {
    const person = await this.admit(context);
    if (!person || !(await this.limits.admitMessage(context, person))) return;
    const activity = context.activity;
    const text = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
    const mentions = TurnContext.getMentions(activity)
      .filter((m) => m.mentioned?.id && m.mentioned.id !== activity.recipient?.id)
      .map((m) => ({ teamsId: m.mentioned.id, name: m.mentioned.name ?? '', text: m.text ?? '' }));
    const command = parseCommand({ text: typeof text === 'string' ? text : '', mentions });
    switch (command.kind) {
      case 'help':
        await this.sendCard(context, this.options.presenter.help(command.unrecognised));
        return;
      case 'invalid':
        await this.sendCard(context, this.options.presenter.notice('That doesn’t look right', command.problem.detail, 'warning'));
        return;
      case 'whoami':
      case 'audit':
      case 'revokeBulk':
        await this.withSession(context, person, { command });
        return;
      case 'revoke': {
        const target = await this.resolveTarget(context, command);
        if (!target) return;
        await this.withSession(context, person, { command, target });
        return;
      }
    }
  }

  /** Runs a command now if the sender has a session, else parks it and asks them to sign in. */
  private async withSession(context: TurnContext, person: TurnPerson, parked: ParkedCommand): Promise<void> {
    const session = this.options.gate.warm(person);
    if (session) {
      await this.runCommand(context, person, session, parked);
      return;
    }
    await this.askToSignIn(context, person, parked, 'Sign in so Session Revoker can look this up as you.');
  }

  /** Parks the command and sends the sign-in card; the sign-in's invoke resumes it. */
  private async askToSignIn(context: TurnContext, person: TurnPerson, parked: ParkedCommand, text: string): Promise<void> {
    await putLatest(this.options.store, NAMESPACE.parkedCommands, parkKey(context, person), parked, this.inMinutes(10));
    const card = await this.options.gate.oauthCardActivity(context, text);
    if (!card) {
      const why = explainSignIn('sign_in_unavailable');
      await this.sendCard(context, this.options.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning'));
      return;
    }
    await context.sendActivity(card);
  }

  /** Runs a command; `justSignedIn` stops a sign-in loop when Entra keeps asking for more than a sign-in (e.g. MFA). */
  private async runCommand(context: TurnContext, person: TurnPerson, session: DelegatedSession, parked: ParkedCommand, justSignedIn = false): Promise<void> {
    const retry = justSignedIn ? undefined : parked;
    const acting = actingOf(person, session);
    const deadline = deadlineIn(this.options.invokeBudgetInMs);
    if (parked.command.kind === 'whoami') {
      const me = await this.options.service.whoami(acting, { deadline });
      if (!me.ok) return this.directoryFailure(context, person, me.failure.code, me.failure.graphRequestId, retry);
      await this.sendCard(context, this.options.presenter.whoami(me.value, person.tenantId));
      return;
    }
    if (parked.command.kind === 'revokeBulk') {
      if (this.bulkFlow) await this.bulkFlow.prepare(context, person, session, parked.command.source);
      else await this.sendCard(context, this.options.presenter.notice('Bulk revocation isn’t available here', 'This bot was started without bulk revocation.', 'info'));
      return;
    }
    if (parked.command.kind === 'audit') {
      if (this.options.auditCommand) await this.options.auditCommand.run(context, acting, parked.command.query, deadline);
      else await this.sendCard(context, this.options.presenter.notice('The audit trail isn’t available here', 'This bot was started without the audit command.', 'info'));
      return;
    }
    if (!parked.target) return;
    const found = await this.options.service.lookup(acting, parked.target, { deadline });
    switch (found.kind) {
      case 'found': {
        // Card updates address the message a click came from (replyToId): nothing to store here.
        await this.sendCard(context, this.options.presenter.request(found.request));
        return;
      }
      case 'several':
        await this.sendCard(context, this.options.presenter.pickList(found.pickId, found.query, found.candidates, found.truncated));
        return;
      case 'none':
        await this.sendCard(
          context,
          this.options.presenter.notice('No one found', `No one in your directory matches “${found.query}”. Check the spelling, or use their email address (UPN).`, 'info'),
        );
        return;
      case 'failed':
        return this.directoryFailure(context, person, found.failure.code, found.failure.graphRequestId, retry);
    }
  }

  private async directoryFailure(context: TurnContext, person: TurnPerson, code: DirectoryFailureCode, graphRequestId?: string, parked?: ParkedCommand): Promise<void> {
    await this.sendCard(context, this.options.presenter.failure(explainDirectoryFailure(code), { graphRequestId }));
    if (code === 'sign_in_expired' || code === 'token_invalid' || code === 'interaction_required') {
      // Entra wants a fresh sign-in: forget the session and offer one; signing in resumes the command.
      this.options.gate.forget(person);
      if (parked) await this.askToSignIn(context, person, parked, 'Sign in again to continue.');
    }
  }

  /** A mention becomes an object id through the conversation's roster; text targets pass through. */
  private async resolveTarget(context: TurnContext, command: Extract<Command, { kind: 'revoke' }>): Promise<ResolvedTarget | undefined> {
    const target = command.target;
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
        try {
          const member = await TeamsInfo.getMember(context, target.teamsId);
          const oid = member.aadObjectId ?? (member as { objectId?: string }).objectId;
          if (oid && REQUEST_ID.test(oid.toLowerCase())) return { kind: 'objectId', id: oid.toLowerCase() };
        } catch (error) {
          this.options.logger.warn({ err: error }, 'member lookup failed');
        }
        await this.sendCard(
          context,
          this.options.presenter.notice(
            'Couldn’t identify that person',
            `Teams couldn’t tell me who ${target.name || 'that'} is in this conversation. Try their email address instead, e.g. revoke adele@contoso.com.`,
            'warning',
          ),
        );
        return undefined;
      }
    }
  }

  // ---- sign-in invokes ------------------------------------------------------------------

  private async tokenExchange(context: TurnContext): Promise<InvokeResponse> {
    const value = (context.activity.value ?? {}) as { id?: unknown; connectionName?: unknown; token?: unknown };
    const id = typeof value.id === 'string' ? value.id : '';
    const connectionName = typeof value.connectionName === 'string' ? value.connectionName : '';
    // A malformed exchange (OAuthPrompt's 400), answered before any token check or store write, and never echoed.
    if (!TOKEN_EXCHANGE_ID.test(id)) return { status: 400, body: { failureDetail: 'The sign-in request was malformed.' } };
    const person = personOf(context.activity);
    const failed = (detail: string): InvokeResponse => ({ status: 412, body: { id, connectionName, failureDetail: detail } });
    if (!person || !this.isAllowedTenant(person) || typeof value.token !== 'string') return failed('The sign-in could not be used.');
    const session = await this.options.gate.fromToken(person, value.token);
    if (!session.ok) return failed('The sign-in could not be used. Proceed with regular sign-in.');
    // Teams sends the same exchange from every client the person has open: act once.
    const first = await this.options.store.create(NAMESPACE.tokenExchanges, `${context.activity.conversation.id}|${id}`, { at: this.options.clock.now().toISOString() }, { expiresAt: this.inMinutes(10) });
    if (first.ok) await this.resume(context, person, session.session);
    return { status: 200, body: { id, connectionName } };
  }

  private async verifyState(context: TurnContext): Promise<InvokeResponse> {
    const person = personOf(context.activity);
    const state = (context.activity.value as { state?: unknown } | undefined)?.state;
    if (!person || !this.isAllowedTenant(person) || typeof state !== 'string') return { status: 400 };
    const session = await this.options.gate.fromMagicCode(context, person, state);
    if (!session.ok) {
      const why = explainSignIn(session.reason === 'refused' ? session.problem : 'bad_code');
      await this.sendCard(context, this.options.presenter.notice(why.title, `${why.message} ${why.hint ?? ''}`.trim(), 'warning'));
      return { status: 200 };
    }
    await this.resume(context, person, session.session);
    return { status: 200 };
  }

  /** Runs the command the person was waiting to sign in for, if any. */
  private async resume(context: TurnContext, person: TurnPerson, session: DelegatedSession): Promise<void> {
    const key = parkKey(context, person);
    const parked = await this.options.store.get<ParkedCommand>(NAMESPACE.parkedCommands, key);
    if (!parked) return;
    if (!(await this.options.store.delete(NAMESPACE.parkedCommands, key, parked.etag))) return;
    await this.runCommand(context, person, session, parked.value, true);
  }

  // ---- card actions ---------------------------------------------------------------------

  private async cardAction(context: TurnContext): Promise<InvokeResponse> {
    const value = (context.activity.value ?? {}) as { action?: { type?: unknown; verb?: unknown; data?: unknown } };
    const verb = value.action?.verb;
    const data = (typeof value.action?.data === 'object' && value.action.data !== null ? value.action.data : {}) as Record<string, unknown>;
    const requestId = typeof data.requestId === 'string' ? data.requestId.toLowerCase() : '';
    if (value.action?.type !== 'Action.Execute' || !isVerb(verb) || !REQUEST_ID.test(requestId)) {
      return messageResponse('This button isn’t one Session Revoker knows. Start again with a new command.');
    }
    const person = personOf(context.activity);
    if (!person) return messageResponse('Teams didn’t say who clicked, so nothing was done.');
    if (!this.isAllowedTenant(person)) return messageResponse(explainSignIn('tenant').message);
    const answer = await this.verbs[verb](context, person, requestId, data);
    // Graph challenged the clicker's token during this click (Continuous Access Evaluation: their own
    // sessions were revoked or their account disabled). Nothing more runs with it: ask them to sign
    // in again; Teams then repeats the click with a fresh sign-in, or the person cannot act at all.
    const used = context.turnState.get<DelegatedSession | undefined>(SESSION_USED);
    if (used?.challenged()) return (await this.signInRequest(context)) ?? answer;
    return answer;
  }

  private async confirm(context: TurnContext, person: TurnPerson, requestId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const request = await this.options.service.get(requestId);
    if (!request) return cardResponse(this.options.presenter.failure(explainDecision('not_found')));
    if (request.requester.aadObjectId !== person.aadObjectId || request.tenantId !== person.tenantId) {
      await this.options.service.auditRefusal(toPersonRef(person), request, request.tenantId !== person.tenantId ? 'wrong_tenant' : 'not_requester');
      return messageResponse(explainDecision('not_requester', request.requester.name).message);
    }
    // An interrupted execution goes to the service too: it reads the target back (never revokes twice).
    if (request.state !== 'pending' && request.state !== 'failed' && !this.options.service.isStaleExecution(request)) {
      // A click on an expired card is a refusal worth recording; a repeat click on a running or finished revoke is not.
      if (request.state === 'expired') await this.options.service.auditRefusal(toPersonRef(person), request, 'expired');
      return cardResponse(await this.render(context, person, request));
    }
    const limited = this.limits.forInvoke('revoke', person);
    if (limited) return limited;
    const session = await this.authenticate(context, person);
    if ('status' in session) return session;
    const acting = actingOf(person, session);
    const budget = this.options.invokeBudgetInMs;
    const work = this.options.service.confirm(acting, requestId, { deadline: deadlineIn(budget + (this.options.backgroundBudgetInMs ?? 20_000)), containment: containmentFrom(data) });
    const first = await Promise.race([work, delay(budget).then(() => 'slow' as const)]);
    const cardId = context.activity.replyToId;
    if (first === 'slow') {
      const reference = TurnContext.getConversationReference(context.activity);
      const adapter = context.adapter as CloudAdapter;
      this.track(
        work
          .then((outcome) => publish(adapter, this.options.appId, reference, cardId, this.confirmCard(outcome, acting.person), this.options.logger))
          .catch((error: unknown) => this.options.logger.error({ err: error }, 'background revoke failed')),
      );
      const current = await this.options.service.get(requestId);
      return cardResponse(current ? this.options.presenter.request(current) : this.options.presenter.notice('Working on it', 'Revoking sessions…'));
    }
    const card = this.confirmCard(first, acting.person);
    if (first.kind === 'completed' && cardId) await replaceForEveryone(context, cardId, card, this.options.logger);
    return cardResponse(card);
  }

  private confirmCard(outcome: ConfirmOutcome, person: PersonRef): AdaptiveCard {
    switch (outcome.kind) {
      case 'completed':
        return this.options.presenter.request(outcome.request);
      case 'storage_unavailable':
        return this.options.presenter.failure(STORAGE_UNAVAILABLE);
      case 'refused':
        return outcome.request && outcome.problem !== 'not_requester'
          ? this.options.presenter.request(outcome.request)
          : this.options.presenter.failure(explainDecision(outcome.problem, outcome.request?.requester.name ?? person.name));
    }
  }

  private async cancel(context: TurnContext, person: TurnPerson, requestId: string): Promise<InvokeResponse> {
    if (this.approvalFlow && (await this.options.service.get(requestId))?.state === 'awaitingApproval') return this.approvalFlow.withdraw(context, person, requestId);
    const outcome = await this.options.service.cancel(toPersonRef(person), requestId);
    if (outcome.kind === 'refused') {
      if (outcome.problem === 'not_requester') return messageResponse(explainDecision('not_requester', outcome.request?.requester.name).message);
      return cardResponse(outcome.request ? this.options.presenter.request(outcome.request) : this.options.presenter.failure(explainDecision(outcome.problem)));
    }
    const card = this.options.presenter.request(outcome.request);
    if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
    return cardResponse(card);
  }

  private async pick(context: TurnContext, person: TurnPerson, pickId: string, data: Record<string, unknown>): Promise<InvokeResponse> {
    const choice = typeof data.choice === 'number' ? data.choice : typeof data.choice === 'string' ? Number(data.choice) : Number.NaN;
    const session = await this.authenticate(context, person);
    if ('status' in session) return session;
    const outcome = await this.options.service.pick(actingOf(person, session), pickId, choice);
    switch (outcome.kind) {
      case 'refused':
        if (outcome.problem === 'not_requester') return messageResponse('Only the person who searched can choose from this list.');
        return cardResponse(this.options.presenter.failure(explainDecision(outcome.problem)));
      case 'found': {
        const card = this.options.presenter.request(outcome.request);
        if (context.activity.replyToId) await replaceForEveryone(context, context.activity.replyToId, card, this.options.logger);
        return cardResponse(card);
      }
      case 'several':
      case 'none':
        return cardResponse(this.options.presenter.notice('No longer found', 'That person could not be found any more.', 'info'));
      case 'failed':
        return cardResponse(this.options.presenter.failure(explainDirectoryFailure(outcome.failure.code), { graphRequestId: outcome.failure.graphRequestId }));
    }
  }

  private async refresh(context: TurnContext, person: TurnPerson, requestId: string): Promise<InvokeResponse> {
    const request = await this.options.service.get(requestId);
    return cardResponse(request ? await this.render(context, person, request) : this.options.presenter.failure(explainDecision('not_found')));
  }

  /** The delegated session for a click: the SSO token Teams re-sent, a magic code, or a warm session; else a 401 loginRequest. */
  private async authenticate(context: TurnContext, person: TurnPerson): Promise<DelegatedSession | InvokeResponse> {
    const session = await this.sessionFor(context, person);
    if (!('status' in session)) context.turnState.set(SESSION_USED, session);
    return session;
  }

  private async sessionFor(context: TurnContext, person: TurnPerson): Promise<DelegatedSession | InvokeResponse> {
    const value = (context.activity.value ?? {}) as { authentication?: { token?: unknown }; state?: unknown };
    if (typeof value.authentication?.token === 'string') {
      const result = await this.options.gate.fromToken(person, value.authentication.token);
      if (result.ok) return result.session;
      return cardResponse(this.signInFailure(result.reason === 'refused' ? result.problem : 'malformed'));
    }
    if (typeof value.state === 'string' && value.state) {
      const result = await this.options.gate.fromMagicCode(context, person, value.state);
      if (result.ok) return result.session;
      return cardResponse(this.signInFailure(result.reason === 'refused' ? result.problem : 'bad_code'));
    }
    const warm = this.options.gate.warm(person);
    if (warm) return warm;
    return (await this.signInRequest(context)) ?? cardResponse(this.signInFailure('sign_in_unavailable'));
  }

  /** The 401 loginRequest answer: Teams signs the person in (silently where it can) and repeats the click. */
  private async signInRequest(context: TurnContext): Promise<InvokeResponse | undefined> {
    const card = await this.options.gate.oauthCard(context, 'Sign in to continue');
    return card ? { status: 401, body: { statusCode: 401, type: LOGIN_REQUEST, value: card } } : undefined;
  }

  private signInFailure(problem: Parameters<typeof explainSignIn>[0]): AdaptiveCard {
    return this.options.presenter.failure(explainSignIn(problem));
  }

  // ---- plumbing -------------------------------------------------------------------------

  /** Checks who is speaking and whether their organisation is served; answers them if not. */
  private async admit(context: TurnContext): Promise<TurnPerson | undefined> {
    const person = personOf(context.activity);
    if (!person) {
      await context.sendActivity('I can’t tell who you are from this message, so I can’t help here. Try a 1:1 chat with me in Teams.');
      return undefined;
    }
    if (!this.isAllowedTenant(person)) {
      await context.sendActivity(explainSignIn('tenant').message);
      return undefined;
    }
    return person;
  }

  private inMinutes(minutes: number): Date {
    return new Date(this.options.clock.now().getTime() + minutes * 60_000);
  }

  private isAllowedTenant(person: TurnPerson): boolean {
    return this.options.allowedTenants.includes(person.tenantId);
  }

  /** Sends a card; returns the new message's id. */
  private async sendCard(context: TurnContext, card: AdaptiveCard): Promise<string | undefined> {
    const response = await context.sendActivity({ type: 'message', attachments: [asAttachment(card)] });
    return response?.id;
  }

  /** Runs a message turn so that no error escapes without the user being told. */
  private async guard(context: TurnContext, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const correlationId = randomUUID();
      this.options.logger.error({ err: error, correlationId }, 'message turn failed');
      await this.sendCard(context, this.options.presenter.failure(isStorageUnavailable(error) ? STORAGE_UNAVAILABLE : UNEXPECTED, { correlationId })).catch(() => undefined);
    }
  }
}

function actingOf(person: TurnPerson, session: DelegatedSession): Acting {
  return { person: { ...toPersonRef(person), userPrincipalName: session.user.userPrincipalName }, directory: session.directory, containment: session.containment };
}

function toPersonRef(person: TurnPerson): PersonRef {
  return { tenantId: person.tenantId, aadObjectId: person.aadObjectId, name: person.name };
}

/** Writes the value whatever was there: the newest command a person typed before signing in wins. */
async function putLatest<T>(store: StateStore, namespace: string, key: string, value: T, expiresAt: Date): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const existing = await store.get<T>(namespace, key);
    const written = existing ? await store.replace(namespace, key, value, existing.etag, { expiresAt }) : await store.create(namespace, key, value, { expiresAt });
    if (written.ok) return;
  }
}

function parkKey(context: TurnContext, person: TurnPerson): string {
  return `${person.tenantId}|${person.aadObjectId}|${context.activity.conversation.id}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
