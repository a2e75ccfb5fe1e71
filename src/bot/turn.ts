/**
 * What a handler gets and gives back. The dispatcher (revokerBot.ts) turns each activity into a
 * turn — the Teams context, the person the channel vouched for, the bot's services — and hands it
 * to the one handler the routes table (routes.ts) names: a command handler answers in the
 * conversation, a card-verb or invoke handler returns the invoke response.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import type { Acting } from '../app/acting';
import type { AlertActing } from '../app/alerts/alertApprovals';
import type { AlertDetailsService } from '../app/alerts/alertDetails';
import type { AlertIntake } from '../app/alerts/alertIntake';
import type { ApprovalWorkflow } from '../app/approval/approvalWorkflow';
import type { BulkApproverActing } from '../app/bulk/bulkApprovals';
import type { ExecutionOutcome } from '../app/bulk/bulkExecution';
import type { BulkRevocationService } from '../app/bulk/bulkRevocationService';
import type { MethodsReview } from '../app/evidence/methodsReview';
import type { SignInChecks } from '../app/evidence/signInChecks';
import type { StateStore } from '../app/ports/stateStore';
import type { ScheduleService } from '../app/schedule/scheduleService';
import type { SavedSelections } from '../app/selection/savedSelections';
import type { ResolvedTarget, RevocationService } from '../app/revocation/revocationService';
import type { CardRenderer } from '../cards/render';
import type { Verb } from '../cards/verbs';
import type { AlertCase } from '../domain/alert';
import type { BulkRun } from '../domain/bulkRun';
import type { Clock } from '../domain/clock';
import type { Command } from '../domain/command';
import type { RevocationRequest } from '../domain/revocationRequest';
import type { ScheduledRevocation } from '../domain/schedule';
import type { PersonRef } from '../domain/people';
import type { DelegatedSession } from '../identity/delegatedSessions';
import type { Logger } from '../observability/logger';
import type { AuditCommandHandler } from './audit/auditCommand';
import type { Presenter } from './present';
import type { RateLimitGate } from './rateLimitGate';
import type { SecurityChannel } from './securityChannel';
import type { SignIn } from './signIn/signIn';
import type { TurnPerson } from './turnPerson';

/** Four eyes: the security channel, and the one approval workflow over each kind of subject. */
export interface Approvals {
  readonly channel: SecurityChannel;
  readonly requests: ApprovalWorkflow<RevocationRequest, Acting, never>;
  readonly bulk: ApprovalWorkflow<BulkRun, BulkApproverActing, Promise<ExecutionOutcome>>;
  /** Scheduled revocations: an approval arms one. */
  readonly schedules: ApprovalWorkflow<ScheduledRevocation, { readonly person: PersonRef }, never>;
  /** Alerts (from security tools on POST /api/alerts, and users sent from the `risky` inbox). */
  readonly alerts?: ApprovalWorkflow<AlertCase, AlertActing, never>;
  /** Raises alerts: the `risky` inbox sends a user to the security channel through it. */
  readonly alertIntake?: AlertIntake;
  /** "Show details" on alert cards; present with `alerts`. */
  readonly alertDetails?: AlertDetailsService;
}

/** Bulk runs (groups, departments). */
export interface BulkRuns {
  readonly service: BulkRevocationService;
  readonly cards: CardRenderer;
  readonly maxTargets: number;
  /** Least time between two progress updates of one card (Teams limits message updates per conversation). */
  readonly progressIntervalInMs?: number;
}

/** Scheduled revocations (the loop posts due cards; handlers propose, arm, run and cancel). */
export interface Schedules {
  readonly service: ScheduleService;
}

/** Evidence of containment: sign-in checks after a revoke and the methods review on a lookup card. */
export interface Evidence {
  readonly signIns: SignInChecks;
  readonly methods: MethodsReview;
}

/** Everything the handlers use: use cases, the sign-in, cards, limits and the clock. Built once by the bot. */
export interface BotServices {
  readonly appId: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: StateStore;
  readonly presenter: Presenter;
  readonly limits: RateLimitGate;
  readonly signIn: SignIn;
  readonly revocations: RevocationService;
  /** Absent when SECURITY_CHANNEL_ID is unset: each requester confirms their own revokes. */
  readonly approvals?: Approvals;
  /** Absent: the bot says bulk revocation isn't available. */
  readonly bulk?: BulkRuns;
  /** Absent: the bot says the audit trail can't be read here. */
  readonly auditCommand?: AuditCommandHandler;
  /** Absent: the evidence buttons say they aren't available here. */
  readonly evidence?: Evidence;
  /** Absent: scheduling isn't available here. */
  readonly schedules?: Schedules;
  /** Saved selections (`save selection`, `revoke selection`); absent: not available here. */
  readonly selections?: SavedSelections;
  /** How long an invoke may take before it is answered "working…", and how long the work may go on after. */
  readonly budgets: { readonly invokeInMs: number; readonly backgroundInMs: number };
  /** Keeps work that goes on after its invoke was answered, for graceful shutdown. */
  track(task: Promise<unknown>): void;
}

/** One turn, as every handler sees it. */
export interface Turn {
  readonly context: TurnContext;
  /** Who is acting: from the activity the channel signed, never from card data. */
  readonly person: TurnPerson;
  readonly bot: BotServices;
}

/** A command typed in a message. */
export interface CommandTurn<C extends Command = Command> extends Turn {
  readonly command: C;
  /** Set when the command waited for its sender to sign in and now runs with that session. */
  readonly resumed?: { readonly session: DelegatedSession; readonly target?: ResolvedTarget };
}

/** A click on one of the bot's cards (an Action.Execute). */
export interface CardTurn extends Turn {
  readonly verb: Verb;
  /** The opaque id the card carries: a request, a pick list or a bulk run, reloaded from the store. */
  readonly subjectId: string;
  /** The rest of the action's data: inputs the person filled in (reason, note, containment), a pick list choice. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** Another invoke (the sign-in protocol's): the person may be unknown or not served, and the handler answers in that protocol's shape. */
export interface InvokeTurn {
  readonly context: TurnContext;
  /** The person, when the activity names one in a served tenant. */
  readonly person?: TurnPerson;
  readonly bot: BotServices;
  /** Runs the command this person parked before signing in, if any. */
  resume(person: TurnPerson, session: DelegatedSession): Promise<void>;
}

/** Answers a command in the conversation. */
export type CommandHandler<C extends Command = Command> = (turn: CommandTurn<C>) => Promise<void>;
/** Answers a click: its return value is the invoke response. */
export type CardHandler = (turn: CardTurn) => Promise<InvokeResponse>;
/** Answers another invoke in its protocol's shape. */
export type InvokeHandler = (turn: InvokeTurn) => Promise<InvokeResponse>;
