/**
 * Rate limits at the Teams edge: a person over their limit (or in an organisation over its
 * limit) is told plainly when to try again — a notice card once per flood for messages, a
 * toast for every card action — and nothing reaches Graph. Every message and every invoke
 * counts: messages and card actions as commands, sign-in invokes (and anything else Teams
 * sends) in buckets of their own; confirmed revocations count against the revoke limit too. Refusals are decided before any sign-in,
 * storage, audit or Graph work, so a flood costs little and does not slow others down.
 */
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import { describeWait, type RateDecision, type RateLimitedAction, type RateLimiter } from '../app/rateLimiter';
import { asAttachment } from '../cards/render';
import type { Logger } from '../observability/logger';
import type { Presenter } from './present';
import type { TurnPerson } from './turnPerson';

const MESSAGE = 'application/vnd.microsoft.activity.message';

/** What the person is told when refused. */
export function rateLimitText(
  action: RateLimitedAction,
  decision: Extract<RateDecision, { allowed: false }>,
): { title: string; message: string } {
  const what = action === 'revoke' ? 'revocations' : action === 'signin' ? 'sign-ins' : 'requests';
  const whose = decision.scope === 'user' ? 'You are sending' : 'Your organisation is sending';
  return {
    title: 'Slow down a little',
    message: `${whose} ${what} faster than Session Revoker allows, so this one was not run. Try again ${describeWait(decision.retryAfterInMs)}.`,
  };
}

export class RateLimitGate {
  constructor(
    private readonly limiter: RateLimiter | undefined,
    private readonly presenter: Presenter,
    private readonly logger: Logger,
  ) {}

  /** For a message turn: true to go on; otherwise the person is told (once per flood) and it is false. */
  async admitMessage(context: TurnContext, person: TurnPerson): Promise<boolean> {
    const decision = this.decide('command', person);
    if (decision.allowed) return true;
    if (decision.firstRefusal) {
      const { title, message } = rateLimitText('command', decision);
      await context.sendActivity({ type: 'message', attachments: [asAttachment(this.presenter.notice(title, message, 'warning'))] });
    }
    return false;
  }

  /**
   * For any invoke, before its handler runs: undefined to go on; otherwise the answer, in the
   * shape that kind of invoke expects.
   */
  forInvokeActivity(activity: Activity, person: TurnPerson): InvokeResponse | undefined {
    if (activity.name === 'adaptiveCard/action') return this.forInvoke('command', person);
    const decision = this.decide('signin', person);
    if (decision.allowed) return undefined;
    const { message } = rateLimitText('signin', decision);
    if (activity.name === 'signin/tokenExchange') {
      // The token exchange protocol's "could not exchange" answer; Teams then offers the sign-in button.
      const value = (activity.value ?? {}) as { id?: unknown; connectionName?: unknown };
      return {
        status: 412,
        body: {
          id: typeof value.id === 'string' ? value.id : '',
          connectionName: typeof value.connectionName === 'string' ? value.connectionName : '',
          failureDetail: message,
        },
      };
    }
    return { status: 429, body: { error: message } };
  }

  /** For a card action: undefined to go on; otherwise the toast that answers the invoke. */
  forInvoke(action: RateLimitedAction, person: TurnPerson): InvokeResponse | undefined {
    const decision = this.decide(action, person);
    if (decision.allowed) return undefined;
    const { message } = rateLimitText(action, decision);
    return { status: 200, body: { statusCode: 200, type: MESSAGE, value: message } };
  }

  private decide(action: RateLimitedAction, person: TurnPerson): RateDecision {
    if (!this.limiter) return { allowed: true };
    const decision = this.limiter.take(action, person);
    if (!decision.allowed && decision.firstRefusal) {
      this.logger.warn(
        {
          tenantId: person.tenantId,
          aadObjectId: person.aadObjectId,
          action,
          scope: decision.scope,
          retryAfterInMs: decision.retryAfterInMs,
        },
        'rate limit reached',
      );
    }
    return decision;
  }
}
