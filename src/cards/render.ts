/**
 * Renders the bot's Adaptive Cards: each template in cards/*.json is read and parsed once at
 * start-up, then expanded with adaptivecards-templating against data that the typed binders
 * (lookupCard.ts, …) compute from the use cases' view models.
 */
import { ALERT_TEMPLATE, alertCardData } from './alertCard';
import { RISKY_TEMPLATE, riskyCardData } from './riskyCard';
import { APPROVAL_TEMPLATE, approvalCardData } from './approvalCard';
import { BULK_TEMPLATE, bulkCardData } from './bulkCard';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'adaptivecards-templating';
import { actionProblems, isVersionAtLeast, MIN_CARD_VERSION } from './actionRules';
import { AUDIT_TEMPLATE, auditCardData, type AuditView } from './auditCard';
import { CLOSED_TEMPLATE, closedCardData } from './closedCard';
import { FAILED_TEMPLATE, failedCardData } from './failedCard';
import { HELP_TEMPLATE, helpCardData } from './helpCard';
import { LOOKUP_TEMPLATE, lookupCardData } from './lookupCard';
import { NOTICE_TEMPLATE, noticeCardData } from './noticeCard';
import { PICK_LIST_TEMPLATE, pickListCardData } from './pickListCard';
import { SUCCEEDED_TEMPLATE, succeededCardData } from './succeededCard';
import { SIGN_INS_TEMPLATE, signInsCardData } from './signInsCard';
import { RUN_SIGN_INS_TEMPLATE, runSignInsCardData } from './runSignInsCard';
import { isVerb } from './verbs';
import type {
  AlertView,
  ApprovalView,
  RiskyView,
  BulkView,
  ClosedView,
  FailedView,
  HelpView,
  LookupView,
  NoticeView,
  PickListView,
  RunSignInsView,
  ScheduleView,
  SignInsView,
  SucceededView,
  WhoAmIView,
  WorkingView,
} from './views';
import { SCHEDULE_TEMPLATE, scheduleCardData } from './scheduleCard';
import { WHOAMI_TEMPLATE, whoamiCardData } from './whoamiCard';
import { WORKING_TEMPLATE, workingCardData } from './workingCard';
import { isRecord } from '../domain/json';

/** An expanded Adaptive Card, ready to send. */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  [k: string]: unknown;
}

/** The Bot Framework attachment that carries an Adaptive Card. */
export interface AdaptiveCardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: AdaptiveCard;
}

/** Where the templates live when no directory is given: <repo>/cards, read in place (two levels up from src/cards and from the build's dist/cards alike). */
export const DEFAULT_CARDS_DIR = path.join(__dirname, '../../cards');

/** Template file of every card the renderer makes. */
export const CARD_TEMPLATE_FILES = {
  lookup: LOOKUP_TEMPLATE,
  pickList: PICK_LIST_TEMPLATE,
  working: WORKING_TEMPLATE,
  succeeded: SUCCEEDED_TEMPLATE,
  failed: FAILED_TEMPLATE,
  closed: CLOSED_TEMPLATE,
  whoami: WHOAMI_TEMPLATE,
  help: HELP_TEMPLATE,
  notice: NOTICE_TEMPLATE,
  approval: APPROVAL_TEMPLATE,
  bulk: BULK_TEMPLATE,
  audit: AUDIT_TEMPLATE,
  signIns: SIGN_INS_TEMPLATE,
  runSignIns: RUN_SIGN_INS_TEMPLATE,
  schedule: SCHEDULE_TEMPLATE,
  alert: ALERT_TEMPLATE,
  risky: RISKY_TEMPLATE,
} as const;

/** The name of one of the renderer's cards. */
export type CardName = keyof typeof CARD_TEMPLATE_FILES;

/** A template that is missing or unusable; thrown by {@link CardRenderer.load} so start-up stops with the file named. */
export class CardTemplateError extends Error {
  override readonly name = 'CardTemplateError';
  constructor(
    /** full path of the offending file */
    readonly file: string,
    /** what is wrong with it */
    readonly reason: string,
  ) {
    super(`Card template ${file}: ${reason}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads, parses and checks one template; throws {@link CardTemplateError} naming the file. */
function loadTemplate(file: string): Template {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = isRecord(error) && error.code === 'ENOENT';
    throw new CardTemplateError(file, missing ? 'file is missing' : `cannot be read (${errorText(error)})`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new CardTemplateError(file, `is not valid JSON (${errorText(error)})`);
  }
  if (!isRecord(payload) || payload.type !== 'AdaptiveCard') throw new CardTemplateError(file, 'is not an AdaptiveCard object');
  if (typeof payload.version !== 'string' || !isVersionAtLeast(payload.version, MIN_CARD_VERSION)) {
    throw new CardTemplateError(file, `version must be ${MIN_CARD_VERSION} or later (found ${JSON.stringify(payload.version)})`);
  }
  if (!Array.isArray(payload.body)) throw new CardTemplateError(file, 'has no body array');
  const problems = actionProblems(payload, isVerb);
  if (problems.length > 0) throw new CardTemplateError(file, problems.join('; '));
  try {
    return new Template(payload);
  } catch (error) {
    throw new CardTemplateError(file, `has an invalid template expression (${errorText(error)})`);
  }
}

/**
 * Removes properties whose value is null: the templating library leaves `"refresh": null` when a
 * `$when` drops an object that is a property value (dropped array items vanish by themselves).
 */
function withoutNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.filter((item) => item !== null).map(withoutNulls);
  if (!isRecord(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, withoutNulls(value)]),
  );
}

function isAdaptiveCard(value: unknown): value is AdaptiveCard {
  return isRecord(value) && value.type === 'AdaptiveCard' && typeof value.version === 'string' && Array.isArray(value.body);
}

/** Renders each card from its template. Create it once with {@link CardRenderer.load}. */
export class CardRenderer {
  private constructor(private readonly templates: ReadonlyMap<CardName, Template>) {}

  /**
   * Reads every template in `cardsDir` once. Throws {@link CardTemplateError} naming the first
   * missing or invalid file (not JSON, not an AdaptiveCard, version below 1.5, unknown verb or
   * data key on an Action.Execute, bad `${…}` expression), so a broken deployment fails at start-up.
   */
  static load(cardsDir: string = DEFAULT_CARDS_DIR): CardRenderer {
    const templates = new Map<CardName, Template>();
    for (const [name, file] of Object.entries(CARD_TEMPLATE_FILES) as [CardName, string][]) {
      templates.set(name, loadTemplate(path.join(cardsDir, file)));
    }
    return new CardRenderer(templates);
  }

  /** Confirmation card: the target, who may revoke them, "Revoke sessions" (confirm) and "Cancel". */
  lookup(view: LookupView): AdaptiveCard {
    return this.expand('lookup', lookupCardData(view));
  }

  /** Several people match: one button per candidate (verb pick, data { subjectId: pickId, choice }). */
  pickList(view: PickListView): AdaptiveCard {
    return this.expand('pickList', pickListCardData(view));
  }

  /** Progress while the revocation runs. */
  working(view: WorkingView): AdaptiveCard {
    return this.expand('working', workingCardData(view));
  }

  /** Sessions revoked: when, by whom, the access-token caveat and next containment steps. */
  succeeded(view: SucceededView): AdaptiveCard {
    return this.expand('succeeded', succeededCardData(view));
  }

  /** Failure: title, message, roles needed, hint, ids, and Retry when the view allows it. */
  failed(view: FailedView): AdaptiveCard {
    return this.expand('failed', failedCardData(view));
  }

  /** Final state of a request that ended without a revocation (cancelled, expired). */
  closed(view: ClosedView): AdaptiveCard {
    return this.expand('closed', closedCardData(view));
  }

  /** `whoami`: identity, roles and what the requester could revoke. */
  whoami(view: WhoAmIView): AdaptiveCard {
    return this.expand('whoami', whoamiCardData(view));
  }

  /** `help`, optionally saying which text was not understood. */
  help(view: HelpView): AdaptiveCard {
    return this.expand('help', helpCardData(view));
  }

  /** A bulk run: confirmation, approval, progress and final report. */
  bulk(view: BulkView): AdaptiveCard {
    return this.expand('bulk', bulkCardData(view));
  }

  /** Four eyes: the approval card (in the security channel) and the requester's copy, for one viewer. */
  approval(view: ApprovalView): AdaptiveCard {
    return this.expand('approval', approvalCardData(view));
  }

  /** A scheduled revocation: before arming, due, or the list of armed ones. */
  schedule(view: ScheduleView): AdaptiveCard {
    return this.expand('schedule', scheduleCardData(view));
  }

  /** A one-off message with a tone (info, warning, error). */
  notice(view: NoticeView): AdaptiveCard {
    return this.expand('notice', noticeCardData(view));
  }

  /** `audit`: the newest audit records, newest first. */
  audit(view: AuditView): AdaptiveCard {
    return this.expand('audit', auditCardData(view));
  }

  /** What the sign-in logs say since a revoke (one person), with Check again. */
  signIns(view: SignInsView): AdaptiveCard {
    return this.expand('signIns', signInsCardData(view));
  }

  /** One sign-in check for every user a bulk run revoked, with Check again. */
  runSignIns(view: RunSignInsView): AdaptiveCard {
    return this.expand('runSignIns', runSignInsCardData(view));
  }

  /** An alert from a security tool in the security channel, with its actions while it waits. */
  alert(view: AlertView): AdaptiveCard {
    return this.expand('alert', alertCardData(view));
  }

  /** `risky`: the users Identity Protection has at risk, each opening their lookup card. */
  risky(view: RiskyView): AdaptiveCard {
    return this.expand('risky', riskyCardData(view));
  }

  private expand(name: CardName, data: object): AdaptiveCard {
    const template = this.templates.get(name);
    if (template === undefined) throw new Error(`No template loaded for card ${name}`);
    const expanded: unknown = template.expand({ $root: data });
    const card = withoutNulls(expanded);
    if (!isAdaptiveCard(card)) throw new Error(`Card ${name} did not expand to an AdaptiveCard`);
    return card;
  }
}

/** Wraps a card as a Bot Framework attachment (for activity.attachments or an invoke response's value). */
export function asAttachment(card: AdaptiveCard): AdaptiveCardAttachment {
  return { contentType: 'application/vnd.microsoft.card.adaptive', content: card };
}
