/** Small steps of Teams conversations used across the end-to-end tests. */
import assert from 'node:assert/strict';
import type { DirectoryUser } from '../../emulator/directory';
import type { Conversation, EmulatedTeams, PostedMessage } from '../../emulator/teams';

/** Everything visible in a card (or anything), as one string for matching. */
export function textOf(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/** Sends a message and returns the bot's last card in the conversation after the turn. */
export async function sendForCard(
  teams: EmulatedTeams,
  from: DirectoryUser,
  conversation: Conversation,
  text: string,
  options: Parameters<EmulatedTeams['send']>[3] = {},
): Promise<PostedMessage> {
  const seen = new Set(teams.messages(conversation).map((m) => m.id));
  const turn = await teams.send(from, conversation, text, options);
  assert.equal(turn.status, 200, `turn answered ${turn.status}: ${textOf(turn.body)}`);
  const cards = teams.messages(conversation).filter((m) => m.fromBot && m.card && !seen.has(m.id));
  const last = cards.at(-1);
  assert.ok(
    last,
    `no card after "${text}"; steps: ${turn.steps.join(' | ')}; bot said: ${textOf(
      teams
        .messages(conversation)
        .filter((m) => !seen.has(m.id))
        .map((m) => m.text ?? m.oauthCard ?? m.card),
    )}`,
  );
  return last;
}

/** The current card of a message, as everyone sees it. */
export function currentCard(teams: EmulatedTeams, conversation: Conversation, messageId: string): unknown {
  return teams.messages(conversation).find((m) => m.id === messageId)?.card;
}

/** The opaque subject id (a request, pick list or bulk run) a card's actions carry. */
export function requestIdOf(card: unknown): string {
  const match = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(card));
  assert.ok(match, `no request id in ${textOf(card).slice(0, 300)}`);
  return match[1]!;
}
