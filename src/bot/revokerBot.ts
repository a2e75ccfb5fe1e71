/**
 * The Teams edge's dispatcher: every activity meets the routes table (routes.ts) here and nowhere
 * else. It admits the person (from the activity the channel signed, in a served tenant), takes
 * the turn from their rate limits, finds the one handler for the command, card verb or invoke,
 * and shapes what goes back: the handler's invoke response, a fresh sign-in when Graph challenged
 * the clicker's token, and — for any error — a card with a correlation id, never the error's
 * message. A card carries only an opaque subject id and a verb; the handlers reload the rest.
 */
import { randomUUID } from 'node:crypto';
import { TeamsActivityHandler, TurnContext, type Activity, type ChannelAccount, type InvokeResponse } from 'botbuilder';
import { isStorageUnavailable, type StateStore } from '../app/ports/stateStore';
import type { RateLimiter } from '../app/rateLimiter';
import type { RevocationService } from '../app/revocation/revocationService';
import { subjectIdOf } from '../cards/actionRules';
import type { Verb } from '../cards/verbs';
import type { Clock } from '../domain/clock';
import { parseCommand } from '../domain/command';
import { isRecord } from '../domain/json';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { Logger } from '../observability/logger';
import type { ActiveSpan, Telemetry } from '../observability/telemetry';
import type { AuditCommandHandler } from './audit/auditCommand';
import { cardResponse, messageResponse } from './cardUpdates';
import { explainSignIn, STORAGE_UNAVAILABLE, UNEXPECTED } from './explain';
import type { Presenter } from './present';
import { RateLimitGate } from './rateLimitGate';
import { commandHandler, commandRoute, invokeHandler, verbHandler } from './routes';
import { SignIn } from './signIn/signIn';
import type { SignInGate } from './signIn/signInGate';
import type { Approvals, BotServices, BulkRuns, CommandTurn, Evidence } from './turn';
import { sendCard } from './turnHelpers';
import { personOf, type TurnPerson } from './turnPerson';

/** How long Graph work may go on after the invoke was answered "working…", when not configured. */
const DEFAULT_BACKGROUND_BUDGET_IN_MS = 20_000;

/** Where a turn keeps its span (telemetry), for the dispatch to name the route and the guards to mark a failure. */
const TURN_SPAN = Symbol('turn span');

/** The use cases, gates and settings the dispatcher hands its handlers. */
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
  readonly bulk?: BulkRuns;
  /** Four eyes: the security channel and the one approval workflow per kind of subject; absent when SECURITY_CHANNEL_ID is unset. */
  readonly approvals?: Approvals;
  /** Sign-in checks after a revoke and the methods review. */
  readonly evidence?: Evidence;
  /** Each turn as a server span and a revoker.turn.duration measurement, by route; none when absent. */
  readonly telemetry?: Telemetry;
}

/** The dispatcher (see the module comment): one place where every command, card verb and invoke is routed. */
export class RevokerBot extends TeamsActivityHandler {
  private readonly background = new Set<Promise<unknown>>();
  private readonly services: BotServices;

  constructor(private readonly options: RevokerBotOptions) {
    super();
    this.services = {
      appId: options.appId,
      logger: options.logger,
      clock: options.clock,
      store: options.store,
      presenter: options.presenter,
      limits: new RateLimitGate(options.rateLimiter, options.presenter, options.logger),
      signIn: new SignIn({ gate: options.gate, store: options.store, clock: options.clock, presenter: options.presenter }),
      revocations: options.service,
      approvals: options.approvals,
      bulk: options.bulk,
      auditCommand: options.auditCommand,
      evidence: options.evidence,
      budgets: { invokeInMs: options.invokeBudgetInMs, backgroundInMs: options.backgroundBudgetInMs ?? DEFAULT_BACKGROUND_BUDGET_IN_MS },
      track: (task) => this.track(task),
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

  /** Every turn; with telemetry, in a span named for its route once the dispatch finds it. */
  override async run(context: TurnContext): Promise<void> {
    const telemetry = this.options.telemetry;
    if (!telemetry) return super.run(context);
    const person = personOf(context.activity);
    const attributes = {
      'revoker.turn.kind': context.activity.type,
      'revoker.tenant.id': person?.tenantId,
      'enduser.id': person?.aadObjectId,
    };
    await telemetry.span('turn', { kind: 'server', attributes, duration: 'revoker.turn.duration' }, (span) => {
      context.turnState.set(TURN_SPAN, span);
      return super.run(context);
    });
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
      if (context.activity.name === 'adaptiveCard/action') return await this.cardAction(context);
      const handler = invokeHandler(context.activity.name);
      if (!handler) return await super.onInvokeActivity(context);
      this.routed(context, context.activity.name ?? '');
      const person = this.admitted(context);
      return await handler({ context, person, bot: this.services, resume: (who, session) => this.resume(context, who, session) });
    } catch (error) {
      this.failed(context, error);
      this.options.logger.error({ err: error, correlationId, invoke: context.activity.name }, 'invoke failed');
      return cardResponse(
        this.options.presenter.failure(isStorageUnavailable(error) ? STORAGE_UNAVAILABLE : UNEXPECTED, { correlationId }),
      );
    }
  }

  /**
   * Every invoke takes one command from its sender's limits, here and nowhere else, before any
   * store, audit or Graph work. Activities that name no person, or a tenant not served, are
   * not charged: their handlers refuse them without any such work.
   */
  private limitInvoke(context: TurnContext): InvokeResponse | undefined {
    const person = this.admitted(context);
    return person ? this.services.limits.forInvokeActivity(context.activity, person) : undefined;
  }

  /** A typed message: the command it is, to its route. */
  private async message(context: TurnContext): Promise<void> {
    const person = await this.admit(context);
    if (!person || !(await this.services.limits.admitMessage(context, person))) return;
    // The activity as Teams may send it: botbuilder types the text, the recipient and each mention's
    // account as present, but a message can come without text and a malformed mention without them.
    const activity: Partial<Activity> = context.activity;
    // The text without the bot's own mention; the message's text (maybe none) is what botbuilder returns.
    const text: unknown = TurnContext.removeRecipientMention(activity);
    const found: readonly { mentioned?: Partial<ChannelAccount>; text?: string }[] = TurnContext.getMentions(activity);
    const mentions = found.flatMap((m) => {
      const teamsId = m.mentioned?.id;
      return teamsId && teamsId !== activity.recipient?.id ? [{ teamsId, name: m.mentioned?.name ?? '', text: m.text ?? '' }] : [];
    });
    const command = parseCommand({ text: typeof text === 'string' ? text : '', mentions });
    this.routed(context, commandRoute(command));
    await this.runCommand({ context, person, bot: this.services, command });
  }

  /** Runs the command the person was waiting to sign in for, if any (the sign-in's invoke resumes it). */
  private async resume(context: TurnContext, person: TurnPerson, session: DelegatedSession): Promise<void> {
    const parked = await this.services.signIn.takeParked(context, person);
    if (!parked) return;
    await this.runCommand({ context, person, bot: this.services, command: parked.command, resumed: { session, target: parked.target } });
  }

  private async runCommand(turn: CommandTurn): Promise<void> {
    await commandHandler(turn.command)(turn);
  }

  /** A click on one of the bot's cards: its verb, to its route. */
  private async cardAction(context: TurnContext): Promise<InvokeResponse> {
    const value = (context.activity.value ?? {}) as { action?: { type?: unknown; verb?: unknown; data?: unknown } };
    const data = isRecord(value.action?.data) ? value.action.data : {};
    const handler = verbHandler(value.action?.verb);
    const subjectId = subjectIdOf(data);
    if (value.action?.type !== 'Action.Execute' || !handler || !subjectId) {
      return messageResponse('This button isn’t one Session Revoker knows. Start again with a new command.');
    }
    this.routed(context, value.action.verb as Verb);
    const person = personOf(context.activity);
    if (!person) return messageResponse('Teams didn’t say who clicked, so nothing was done.');
    if (!this.isAllowedTenant(person)) return messageResponse(explainSignIn('tenant').message);
    const answer = await handler({ context, person, bot: this.services, verb: value.action.verb as Verb, subjectId, data });
    // Graph challenged the clicker's token during this click (Continuous Access Evaluation): nothing
    // more runs with it; Teams repeats the click with a fresh sign-in, or the person cannot act at all.
    return (await this.services.signIn.challengeAnswer(context)) ?? answer;
  }

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

  /** The person an activity names, when their organisation is served. */
  private admitted(context: TurnContext): TurnPerson | undefined {
    const person = personOf(context.activity);
    return person && this.isAllowedTenant(person) ? person : undefined;
  }

  private isAllowedTenant(person: TurnPerson): boolean {
    return this.options.allowedTenants.includes(person.tenantId);
  }

  /** The route the dispatch found, on the turn's span: a command, a card verb or an invoke name from the routes table. */
  private routed(context: TurnContext, route: string): void {
    const span = context.turnState.get<ActiveSpan | undefined>(TURN_SPAN);
    span?.rename(`turn ${route}`);
    span?.set({ 'revoker.turn.route': route });
  }

  /** A turn that ended in an error the guards answered: its span says so (the error's class, never its message). */
  private failed(context: TurnContext, error: unknown): void {
    context.turnState.get<ActiveSpan | undefined>(TURN_SPAN)?.fail(error instanceof Error ? error.name : 'Error');
  }

  private track(task: Promise<unknown>): void {
    const tracked = task.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** Runs a message turn so that no error escapes without the user being told: a correlation id, never the error's message. */
  private async guard(context: TurnContext, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.failed(context, error);
      const correlationId = randomUUID();
      this.options.logger.error({ err: error, correlationId }, 'message turn failed');
      await sendCard(
        context,
        this.options.presenter.failure(isStorageUnavailable(error) ? STORAGE_UNAVAILABLE : UNEXPECTED, { correlationId }),
      ).catch((sendError: unknown) =>
        this.options.logger.error({ err: sendError, correlationId }, 'could not tell the sender the turn failed'),
      );
    }
  }
}
