/**
 * The CloudAdapter, opened up just enough for the HTTP edge: it hands over the parsed
 * activity and the Authorization header, and learns whether the turn started (so a failure
 * before it — authentication — is answered 401, not CloudAdapter's 500).
 */
import { CloudAdapter, type Activity, type TurnContext } from 'botbuilder';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { Logger } from '../observability/logger';

export interface ActivityAnswer {
  readonly status?: number;
  readonly body?: unknown;
}

export class RevokerAdapter extends CloudAdapter {
  constructor(
    auth: BotFrameworkAuthentication,
    logger: Logger,
    onUnhandled: (context: TurnContext, correlationId: string) => Promise<void>,
  ) {
    super(auth);
    // Errors that escape the bot's own guards: log with a reference, tell the person that reference only.
    this.onTurnError = async (context, error) => {
      const correlationId = crypto.randomUUID();
      logger.error({ err: error, correlationId, activityType: context.activity.type }, 'unhandled turn error');
      await onUnhandled(context, correlationId).catch(() => undefined);
    };
  }

  /** Authenticates and runs one activity; `onTurn` is called once authentication has passed. */
  async handle(
    authHeader: string,
    activity: Record<string, unknown>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<ActivityAnswer | undefined> {
    return this.processActivity(authHeader, activity as unknown as Activity, logic);
  }
}
