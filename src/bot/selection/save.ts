/**
 * `save selection "Name"` names the filter the person last previewed (`revoke where …`);
 * `save selection "Name" where …` names the filter given. Only the filter tree is saved.
 */
import type { Command } from '../../domain/command';
import { describeFilter } from '../../domain/selectionFilter';
import type { CommandTurn } from '../turn';
import { sendCard, toPersonRef } from '../turnHelpers';

type SaveCommand = Extract<Command, { kind: 'saveSelection' }>;

export async function saveSelection(turn: CommandTurn<SaveCommand>): Promise<void> {
  const { bot, context, command } = turn;
  const notice = async (title: string, message: string, tone: 'info' | 'warning'): Promise<void> => {
    await sendCard(context, bot.presenter.notice(title, message, tone));
  };
  if (!bot.selections) return notice('Selections aren’t available here', 'This bot was started without saved selections.', 'info');
  const person = toPersonRef(turn.person);
  const filter = command.filter ?? (await bot.selections.last(person));
  if (!filter)
    return notice(
      'Nothing to save yet',
      `Preview a selection first, e.g. revoke where department eq 'HP' and accountEnabled eq false, then save selection "${command.name}".`,
      'info',
    );
  const saved = await bot.selections.save(person, command.name, filter);
  await notice(
    'Selection saved',
    `“${saved.name}” is ${describeFilter(saved.filter)}. Run it with revoke selection "${saved.name}", or schedule it: revoke selection "${saved.name}" every monday 09:00. It is read afresh each time.`,
    'info',
  );
}
