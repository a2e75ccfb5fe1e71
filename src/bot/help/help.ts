/** `help` (or anything not understood), and a `revoke` whose target is malformed. */
import type { Command } from '../../domain/command';
import type { CommandTurn } from '../turn';
import { sendCard } from '../turnHelpers';

export async function help(turn: CommandTurn<Extract<Command, { kind: 'help' }>>): Promise<void> {
  await sendCard(turn.context, turn.bot.presenter.help(turn.command.unrecognised));
}

export async function invalid(turn: CommandTurn<Extract<Command, { kind: 'invalid' }>>): Promise<void> {
  await sendCard(turn.context, turn.bot.presenter.notice('That doesn’t look right', turn.command.problem.detail, 'warning'));
}
