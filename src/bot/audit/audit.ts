/** `audit …`: the audit trail read or exported in Teams, with the sender's delegated session (src/bot/audit/auditCommand.ts). */
import { deadlineIn } from '../../domain/clock';
import type { Command } from '../../domain/command';
import { sessionFor } from '../signIn/commandSession';
import type { CommandTurn } from '../turn';
import { actingFor, sendCard } from '../turnHelpers';

/** Runs the audit query with the sender's session (the command waits for a sign-in when there is none). */
export async function audit(turn: CommandTurn<Extract<Command, { kind: 'audit' }>>): Promise<void> {
  const { bot, context } = turn;
  if (!bot.auditCommand) {
    await sendCard(
      context,
      bot.presenter.notice('The audit trail isn’t available here', 'This bot was started without the audit command.', 'info'),
    );
    return;
  }
  const session = await sessionFor(turn, { command: turn.command });
  if (!session) return;
  await bot.auditCommand.run(context, actingFor(turn.person, session), turn.command.query, deadlineIn(bot.budgets.invokeInMs));
}
