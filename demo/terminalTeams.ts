/**
 * A Teams client in the terminal, on the emulated cloud: type messages to the bot as any demo
 * user, in a 1:1 chat or a team channel, and click card buttons by number. Without a terminal
 * (CI) it plays a short scripted walkthrough instead.
 */
import readline from 'node:readline/promises';
import type { EmulatedCloud } from '../emulator/cloud';
import type { DirectoryUser } from '../emulator/directory';
import { ROLE_NAMES } from '../emulator/directory';
import type { Conversation, PostedMessage } from '../emulator/teams';
import { cardToText } from './cardText';

interface Session {
  user: DirectoryUser;
  where: 'chat' | 'channel';
  lastCard?: PostedMessage;
}

const HELP = [
  'Type a message to the bot, e.g.  revoke adele   revoke Megan   revoke me   whoami   help',
  'In the channel, mention people with @:  revoke @alex',
  '  /click N        click button N on the last card',
  '  /as NAME        become another demo user (uma, helen, paul, aaron, priya, grace, adele, …)',
  '  /chat  /channel switch between your 1:1 chat and the #Helpdesk channel of team IT Ops',
  '  /users          list the demo directory       /quit   stop the demo',
].join('\n');

export async function runTerminalTeams(cloud: EmulatedCloud, options: { interactive: boolean; as?: DirectoryUser }): Promise<void> {
  const { teams, directory } = cloud;
  const everyone = [...directory.users.values()].filter((u) => u.userType === 'Member');
  const team = teams.team('IT Ops', everyone);
  const channel = team.channel('Helpdesk');
  const chats = new Map<string, Conversation>();
  const session: Session = { user: options.as ?? directory.user('uma'), where: 'chat' };
  const conversation = (): Conversation => {
    if (session.where === 'channel') return channel;
    let chat = chats.get(session.user.id);
    if (!chat) {
      chat = teams.personalChat(session.user);
      chats.set(session.user.id, chat);
    }
    return chat;
  };
  const show = (messages: readonly PostedMessage[]): void => {
    for (const m of messages) {
      if (m.text) console.log(`  bot › ${m.text}`);
      if (m.oauthCard)
        console.log(
          '  bot › [sign-in card] (Teams signs you in silently in chats; in channels the demo signs you in through the emulated token service)',
        );
      if (m.card) {
        session.lastCard = m;
        const text = cardToText(m.card);
        for (const line of text.lines) console.log(`  │ ${line}`);
        text.actions.forEach((a, i) => console.log(`  │ [${i + 1}] ${a.title}`));
      }
    }
  };
  const say = async (text: string): Promise<void> => {
    const conv = conversation();
    const mentions: DirectoryUser[] = [];
    const rewritten = text.replace(/@([\w.'$-]+)/g, (whole, name: string) => {
      try {
        const user = directory.user(name);
        mentions.push(user);
        return `@${user.displayName}`;
      } catch {
        return whole;
      }
    });
    const seen = new Set(teams.messages(conv).map((m) => m.id));
    const turn = await teams.send(session.user, conv, rewritten, { mentions, signIn: true });
    if (turn.status >= 400) console.log(`  (the bot answered HTTP ${turn.status})`);
    show(teams.messages(conv).filter((m) => m.fromBot && !seen.has(m.id)));
  };
  const click = async (which: string): Promise<void> => {
    const card = session.lastCard;
    if (!card?.card) {
      console.log('  There is no card to click yet.');
      return;
    }
    const actions = cardToText(card.card).actions;
    const index = Number(which) - 1;
    const action = actions[index] ?? actions.find((a) => a.title.toLowerCase().startsWith(which.toLowerCase()));
    if (!action) {
      console.log(`  No button ${which}. Buttons: ${actions.map((a, i) => `[${i + 1}] ${a.title}`).join('  ')}`);
      return;
    }
    const result = await teams.click(session.user, card, action.verb ?? action.title, { signIn: true });
    if (result.message) console.log(`  bot › ${result.message}`);
    if (result.card) show([{ ...card, card: result.card }]);
    if (result.status >= 400 && !result.card) console.log(`  (the bot answered HTTP ${result.status})`);
  };
  const prompt = (): string => `${session.user.displayName} in ${session.where === 'chat' ? '1:1 chat' : '#Helpdesk'} › `;

  if (!options.interactive) {
    const script: [string, string][] = [
      ['uma', 'revoke adele@contoso.onmicrosoft.com'],
      ['uma', '/click Revoke sessions'],
      ['paul', 'revoke grace@contoso.onmicrosoft.com'],
      ['paul', '/click Revoke sessions'],
    ];
    for (const [who, line] of script) {
      session.user = directory.user(who);
      session.where = 'chat';
      console.log(`\n${prompt()}${line}`);
      if (line.startsWith('/click ')) await click(line.slice(7));
      else await say(line);
    }
    console.log('\nDemo walkthrough done. Run `npm start` in a terminal to try it yourself.');
    return;
  }

  const roles = session.user.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no admin roles';
  console.log(`\nIn this terminal: you are ${session.user.displayName} (${roles}) in a 1:1 chat with Session Revoker.\n${HELP}\n`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      let line: string;
      try {
        line = (await rl.question(prompt())).trim();
      } catch {
        return;
      }
      if (!line) continue;
      try {
        if (line === '/quit' || line === '/exit') return;
        else if (line === '/help') console.log(HELP);
        else if (line === '/chat') session.where = 'chat';
        else if (line === '/channel') session.where = 'channel';
        else if (line === '/users') {
          for (const u of directory.users.values()) {
            const roles = u.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no admin roles';
            console.log(`  ${u.displayName.padEnd(24)} ${u.userPrincipalName.padEnd(46)} ${roles}${u.accountEnabled ? '' : ' (disabled)'}`);
          }
        } else if (line.startsWith('/as ')) {
          session.user = directory.user(line.slice(4).trim());
          session.lastCard = undefined;
          console.log(
            `  You are now ${session.user.displayName} (${session.user.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || 'no admin roles'}).`,
          );
        } else if (line.startsWith('/click')) await click(line.slice(6).trim());
        else if (line.startsWith('/')) console.log(HELP);
        else await say(line);
      } catch (error) {
        console.log(`  ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    rl.close();
  }
}
