/**
 * `risky` (in the security channel or a 1:1 chat): the users Identity Protection has at risk, read
 * with the sender's own delegated token (RISK_SCOPES), highest risk first and newest first within
 * a level. Each opens the person's lookup card, where revoking, the compromised-account bundle
 * (confirm compromised among it) and asking the security channel for approval follow every rule a
 * request has. A tenant without Entra ID P2, or without consent, is told so in a sentence.
 */
import type { RiskyUserRecord } from '../../app/ports/evidence';
import { deadlineIn } from '../../domain/clock';
import type { Command } from '../../domain/command';
import { answerDirectoryFailure, sessionFor } from '../signIn/commandSession';
import type { CommandTurn } from '../turn';
import { actingFor, sendCard } from '../turnHelpers';

/** Most users the inbox reads (pages of 50; Identity Protection allows one request a second per tenant). */
const MAX_RISKY_USERS = 100;
/** Most the card lists (Teams cards stay readable). */
const SHOWN = 20;

const LEVEL_ORDER: Readonly<Record<string, number>> = { high: 0, medium: 1, low: 2 };

/** Highest level first, then the most recently updated. */
export function byRisk(a: RiskyUserRecord, b: RiskyUserRecord): number {
  const level = (LEVEL_ORDER[a.riskLevel] ?? 3) - (LEVEL_ORDER[b.riskLevel] ?? 3);
  if (level !== 0) return level;
  return Date.parse(b.riskLastUpdatedDateTime ?? '') - Date.parse(a.riskLastUpdatedDateTime ?? '') || 0;
}

export async function risky(turn: CommandTurn<Extract<Command, { kind: 'risky' }>>): Promise<void> {
  const parked = { command: turn.command };
  const session = await sessionFor(turn, parked);
  if (!session) return;
  const { bot, context, person } = turn;
  if (!session.evidence) {
    await sendCard(context, bot.presenter.notice('Not available here', 'The users at risk can’t be read in this deployment.', 'info'));
    return;
  }
  const listed = await session.evidence.listRiskyUsers({ maxUsers: MAX_RISKY_USERS, deadline: deadlineIn(bot.budgets.invokeInMs) });
  if (!listed.ok) {
    const { code } = listed.error;
    if (code === 'not_licensed' || code === 'consent_required') {
      const message =
        code === 'not_licensed'
          ? 'Identity Protection’s list of users at risk needs Microsoft Entra ID P2, and this tenant doesn’t have it. Alerts from Sentinel or Defender can still reach the security channel.'
          : 'Your organisation’s admin hasn’t consented to Session Revoker reading Identity Protection (IdentityRiskyUser.ReadWrite.All), so the users at risk can’t be listed. Ask them to grant it (docs/going-live.md).';
      await sendCard(context, bot.presenter.notice('Users at risk can’t be listed', message, 'info'));
      return;
    }
    return answerDirectoryFailure(turn, listed.error, parked);
  }
  const sorted = [...listed.value.users].sort(byRisk);
  const shown = sorted.slice(0, SHOWN);
  const pickId = await bot.revocations.openPickList(
    actingFor(person, session),
    'users at risk',
    shown.map((u) => u.id),
  );
  await sendCard(
    context,
    bot.presenter.risky({
      pickId,
      users: shown,
      truncated: listed.value.truncated || sorted.length > SHOWN,
      escalate: bot.approvals?.alertIntake !== undefined,
    }),
  );
}
