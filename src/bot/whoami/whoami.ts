/** `whoami`: who the directory says the sender is, their roles, and what Entra would let them revoke. */
import { deadlineIn } from '../../domain/clock';
import type { Command } from '../../domain/command';
import { answerDirectoryFailure, sessionFor } from '../signIn/commandSession';
import type { CommandTurn } from '../turn';
import { actingFor, sendCard } from '../turnHelpers';

/** Shows who the directory says the sender is and what they may revoke. */
export async function whoami(turn: CommandTurn<Extract<Command, { kind: 'whoami' }>>): Promise<void> {
  const parked = { command: turn.command };
  const session = await sessionFor(turn, parked);
  if (!session) return;
  const { bot, context, person } = turn;
  const me = await bot.revocations.whoami(actingFor(person, session), { deadline: deadlineIn(bot.budgets.invokeInMs) });
  if (!me.ok) return answerDirectoryFailure(turn, me.failure, parked);
  await sendCard(context, bot.presenter.whoami(me.value, person.tenantId));
}
