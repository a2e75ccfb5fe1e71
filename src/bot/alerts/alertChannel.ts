/**
 * Where alert cards go: the security channel, proactively (there is no turn when an alert
 * arrives on POST /api/alerts). The card is the alert card everyone in the channel sees.
 */
import type { CloudAdapter } from 'botbuilder';
import type { AlertChannel } from '../../app/alerts/alertIntake';
import type { ApprovalRoute } from '../../app/approval/approvalWorkflow';
import type { AlertCase } from '../../domain/alert';
import type { CardLocation } from '../../domain/approval';
import { cardActivity } from '../cardUpdates';
import type { Presenter } from '../present';
import type { SecurityChannel } from '../securityChannel';

export class SecurityChannelAlerts implements AlertChannel {
  constructor(
    private readonly channel: SecurityChannel,
    private readonly adapter: CloudAdapter,
    private readonly presenter: Presenter,
  ) {}

  route(): Promise<ApprovalRoute> {
    return this.channel.route();
  }

  async post(alert: AlertCase): Promise<{ ok: true; card: CardLocation } | { ok: false; problem: 'bot_not_in_team' | 'post_failed' }> {
    const posted = await this.channel.post(this.adapter, cardActivity(this.presenter.alert(alert)));
    return posted.ok ? { ok: true, card: { conversationId: posted.conversationId, activityId: posted.activityId } } : posted;
  }
}
