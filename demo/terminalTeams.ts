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
import { parseClockStep } from '../emulator/clock';
import type { DemoClock } from './demoClock';
import { raiseDemoAlert } from './demoAlert';

interface Session {
  user: DirectoryUser;
  where: 'chat' | 'channel';
  lastCard?: PostedMessage;
  /** Toggles to switch on with the next click (/tick). */
  ticks: Record<string, string>;
}

const HELP = [
  'Type a message to the bot, e.g.  revoke adele   revoke Megan   revoke me   whoami   help',
  'In the channel, mention people with @:  revoke @alex',
  '  /click N        click button N on the last card',
  '  /tick A B …     switch toggles on for the next click: disableAccount resetPassword disableDevices confirmCompromised,',
  '                  or method:TEXT for the sign-in method whose line holds TEXT (e.g. method:+234)',
  '  /wait TEXT      wait until the last card says TEXT (a bulk run finishing)',
  '  /tenant p1|p2 on|off   the emulated tenant’s Entra ID licences',
  '  /consent P on|off      grant or withhold the tenant’s admin consent for Graph permission P',
  '  /pause N        wait N seconds (sign-in logs are stamped to the second)',
  '  /clock +2h      move the demo’s time on (+30m, +2h, +1d): scheduled revocations come due',
  '  /alert NAME [TITLE]    raise a Sentinel alert about NAME, as a playbook would (--approvals: the card arrives in Security approvals)',
  '  /as NAME        become another demo user (uma, helen, paul, aaron, priya, grace, adele, …)',
  '  /chat  /channel switch between your 1:1 chat and the #Helpdesk channel of team IT Ops',
  '  /users          list the demo directory       /quit   stop the demo',
].join('\n');

export async function runTerminalTeams(
  cloud: EmulatedCloud,
  options: { interactive: boolean; as?: DirectoryUser; clock?: DemoClock },
): Promise<void> {
  const { teams, directory } = cloud;
  const everyone = [...directory.users.values()].filter((u) => u.userType === 'Member');
  const team = teams.team('IT Ops', everyone);
  const channel = team.channel('Helpdesk');
  const chats = new Map<string, Conversation>();
  const session: Session = { user: options.as ?? directory.user('uma'), where: 'chat', ticks: {} };
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
    const conv = conversation();
    const seen = new Set(teams.messages(conv).map((m) => m.id));
    const inputs = session.ticks;
    session.ticks = {};
    const result = await teams.click(session.user, card, action.verb ?? action.title, { signIn: true, inputs });
    if (result.message) console.log(`  bot › ${result.message}`);
    const posted = teams.messages(conv).filter((m) => m.fromBot && !seen.has(m.id));
    // A card the click left as it was is not shown again when the answer came below it.
    const unchanged = posted.length > 0 && JSON.stringify(result.card) === JSON.stringify(card.card);
    if (result.card && !unchanged) show([{ ...card, card: result.card }]);
    if (result.status >= 400 && !result.card) console.log(`  (the bot answered HTTP ${result.status})`);
    // Cards the click posted below (e.g. what the sign-in logs say).
    show(posted);
  };
  const tick = (names: string[]): void => {
    const card = session.lastCard?.card;
    const toggles = card ? toggleInputs(card) : [];
    for (const name of names) {
      const text = name.startsWith('method:') ? name.slice('method:'.length) : undefined;
      const toggle = toggles.find((t) => (text ? t.id.startsWith('removeMethod_') && t.title.includes(text) : t.id === name));
      if (!toggle) {
        console.log(`  No toggle ${name} on the last card.`);
        continue;
      }
      session.ticks[toggle.id] = 'true';
      console.log(`  [x] ${toggle.title}`);
    }
  };
  const waitFor = async (text: string): Promise<void> => {
    const card = session.lastCard;
    if (!card) {
      console.log('  There is no card to wait for.');
      return;
    }
    const updated = await teams.waitForMessage(
      conversation(),
      (m) => m.id === card.id && cardToText(m.card).lines.some((l) => l.includes(text)),
      30_000,
    );
    show([updated]);
  };
  const consent = (words: string[]): void => {
    const [permission, state] = words;
    if (!permission || (state !== 'on' && state !== 'off')) {
      console.log('  Use: /consent PERMISSION on|off');
      return;
    }
    const granted = cloud.app.consentedGraphScopes;
    const at = granted.findIndex((p) => p.toLowerCase() === permission.toLowerCase());
    if (state === 'off' && at >= 0) granted.splice(at, 1);
    if (state === 'on' && at < 0) granted.push(permission);
    console.log(`  Admin consent for ${permission}: ${state === 'on' ? 'granted' : 'withheld'}.`);
  };
  const tenant = (words: string[]): void => {
    const [licence, state] = words;
    if ((licence !== 'p1' && licence !== 'p2') || (state !== 'on' && state !== 'off')) {
      console.log('  Use: /tenant p1|p2 on|off');
      return;
    }
    directory.security.licences[licence] = state === 'on';
    console.log(`  The emulated tenant now has Microsoft Entra ID ${licence.toUpperCase()}: ${state}.`);
  };
  const moveClock = async (step: string): Promise<void> => {
    const ms = parseClockStep(step);
    if (ms === undefined || !options.clock) {
      console.log(options.clock ? '  Use: /clock +30m, /clock +2h or /clock +1d' : '  This demo cannot move its clock.');
      return;
    }
    const before = new Set(teams.messages(conversation()).map((m) => m.id));
    console.log(`  ${options.clock.advance(ms)}`);
    // The bot's scheduler loop looks every two seconds in the demo: show what it posts.
    await teams.waitForMessage(conversation(), (m) => m.fromBot && !before.has(m.id), 6_000).catch(() => undefined);
    show(teams.messages(conversation()).filter((m) => !before.has(m.id)));
  };
  const alert = async (text: string): Promise<void> => {
    const [name, ...title] = text.split(/\s+/);
    if (!name) {
      console.log('  Use: /alert NAME [TITLE], e.g. /alert connie Impossible travel');
      return;
    }
    const botUrl = teams.botEndpoint.replace(/\/api\/messages$/, '');
    const raised = await raiseDemoAlert(cloud, name, title.join(' ') || 'Impossible travel (demo)', botUrl);
    console.log(`  ${raised.said}`);
  };
  const prompt = (): string => `${session.user.displayName} in ${session.where === 'chat' ? '1:1 chat' : '#Helpdesk'} › `;

  const command = async (line: string): Promise<boolean> => {
    if (line.startsWith('/click')) await click(line.slice(6).trim());
    else if (line.startsWith('/tick ')) tick(line.slice(6).trim().split(/\s+/));
    else if (line.startsWith('/wait ')) await waitFor(line.slice(6).trim());
    else if (line.startsWith('/tenant ')) tenant(line.slice(8).trim().split(/\s+/));
    else if (line.startsWith('/consent ')) consent(line.slice(9).trim().split(/\s+/));
    else if (line.startsWith('/clock ')) await moveClock(line.slice(7).trim());
    else if (line.startsWith('/alert ')) await alert(line.slice(7).trim());
    else if (line.startsWith('/pause '))
      await new Promise((r) => setTimeout(r, Math.min(10, Math.max(0, Number(line.slice(7)) || 0)) * 1000));
    else return false;
    return true;
  };

  if (!options.interactive) {
    const script: [string, string][] = [
      // "Can I?" before the click, then the revoke.
      ['uma', 'revoke adele@contoso.onmicrosoft.com'],
      ['uma', '/click Revoke sessions'],
      // Did it work? Uma (User Administrator) may not read sign-in logs: the card names who may.
      ['uma', '/click Check sign-ins'],
      ['paul', 'revoke grace@contoso.onmicrosoft.com'],
      ['paul', '/click Revoke sessions'],
      // Uma can't revoke a Global Administrator, but is eligible for a role in PIM that can.
      ['uma', 'revoke grace@contoso.onmicrosoft.com'],
      // Connie's password is in an attacker's hands: a revoke alone does not keep them out…
      ['grace', 'revoke connie@contoso.onmicrosoft.com'],
      ['grace', '/click Revoke sessions'],
      ['grace', '/click Check sign-ins'],
      // …the whole bundle does: disable and reset first, revoke, confirm compromised, remove their phone.
      // (A second apart: the sign-in log stamps to the second, and a sign-in in the revoke's second counts as after it.)
      ['grace', '/pause 1.2'],
      ['grace', 'revoke connie@contoso.onmicrosoft.com'],
      ['grace', '/click Review sign-in methods'],
      ['grace', '/tick disableAccount resetPassword confirmCompromised method:+234'],
      ['grace', '/click Revoke sessions'],
      ['grace', '/click Check sign-ins'],
      // A tenant without Entra ID P2: that one step says so, the rest runs.
      ['grace', '/tenant p2 off'],
      ['grace', 'revoke alex@contoso.onmicrosoft.com'],
      ['grace', '/tick confirmCompromised'],
      ['grace', '/click Revoke sessions'],
      ['grace', '/tenant p2 on'],
      // A tenant that never consented to reading sign-in logs: only that button says so.
      ['priya', 'revoke megan.bowen@contoso.onmicrosoft.com'],
      ['priya', '/click Revoke sessions'],
      ['priya', '/consent AuditLog.Read.All off'],
      ['priya', '/click Check sign-ins'],
      ['priya', '/consent AuditLog.Read.All on'],
      // One check for a whole bulk run.
      ['grace', 'revoke group "Finance Team"'],
      ['grace', '/click Revoke all'],
      ['grace', '/wait Bulk revocation finished'],
      ['grace', '/click Check sign-ins'],
    ];
    for (const [who, line] of script) {
      session.user = directory.user(who);
      session.where = 'chat';
      console.log(`\n${prompt()}${line}`);
      if (!(await command(line))) await say(line);
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
        } else if (await command(line)) continue;
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

/** The toggles of a card (id and title), for /tick. */
function toggleInputs(card: unknown): { id: string; title: string }[] {
  if (Array.isArray(card)) return card.flatMap(toggleInputs);
  if (typeof card !== 'object' || card === null) return [];
  const node = card as Record<string, unknown>;
  const own =
    node.type === 'Input.Toggle' && typeof node.id === 'string'
      ? [{ id: node.id, title: typeof node.title === 'string' ? node.title : '' }]
      : [];
  return [...own, ...Object.values(node).flatMap(toggleInputs)];
}
