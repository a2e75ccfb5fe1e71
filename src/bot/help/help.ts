/** `help` (or anything not understood), and a `revoke` whose target is malformed. */
import type { Command } from '../../domain/command';
import type { CommandTurn } from '../turn';
import { sendCard } from '../turnHelpers';

/** The help card, saying what was not understood when that is why it is shown. */
export async function help(turn: CommandTurn<Extract<Command, { kind: 'help' }>>): Promise<void> {
  await sendCard(turn.context, turn.bot.presenter.help(turn.command.unrecognised));
}

/** Says what is wrong with a malformed target, before any Graph call. */
export async function invalid(turn: CommandTurn<Extract<Command, { kind: 'invalid' }>>): Promise<void> {
  await sendCard(turn.context, turn.bot.presenter.notice('That doesn’t look right', turn.command.problem.detail, 'warning'));
}
