/**
 * Scheduled revocations end to end, through the real SDKs against the emulated cloud, whose
 * clock the tests move (the bot reads the same clock): arm, restart before the due time, the due
 * card, two clicks giving one revoke, a restart after the due time (one late card), the reminder,
 * cancel, a weekly selection that changes between runs, and a due day with a daylight-saving change.
 */
import assert from 'node:assert/strict';
import type { DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { wallTimeOf } from '../../src/domain/zonedTime';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

const BERLIN = 'Europe/Berlin';
const MINUTE = 60_000;

/** `on 2026-12-02 21:15` for the minute `ms` from the cloud's now, in Berlin (the emulated Teams' time zone). */
function onText(e2e: E2E, ms: number): { text: string; dueAt: number } {
  const at = e2e.cloud.clock.nowInMs() + ms;
  const w = wallTimeOf(new Date(at), BERLIN);
  const two = (n: number): string => String(n).padStart(2, '0');
  return { text: `on ${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}`, dueAt: Math.floor(at / MINUTE) * MINUTE };
}

/** Moves the cloud (and so the bot) to `at` ms since the epoch. */
function moveTo(e2e: E2E, at: number): void {
  e2e.cloud.clock.advance(Math.max(0, at - e2e.cloud.clock.nowInMs()));
}

/** 01:00 UTC on the last Sunday of March (when Berlin's clocks go forward) of the first year where it is more than a week after `afterMs`. */
function nextSpringForward(afterMs: number): Date {
  for (let year = new Date(afterMs).getUTCFullYear(); ; year += 1) {
    const lastOfMarch = new Date(Date.UTC(year, 2, 31, 1));
    const sunday = new Date(lastOfMarch.getTime() - lastOfMarch.getUTCDay() * 24 * 60 * MINUTE);
    if (sunday.getTime() - 7 * 24 * 60 * MINUTE > afterMs) return sunday;
  }
}

function successfulRevokes(e2e: E2E, userId: string): number {
  return e2e.cloud.graph.server.calls.filter(
    (c) => c.route === GRAPH_ROUTES.revoke && c.status < 300 && c.path.includes(`/users/${userId}/revokeSignInSessions`),
  ).length;
}

function dueCards(e2e: E2E, chat: Conversation): PostedMessage[] {
  return e2e.cloud.teams.messages(chat).filter((m) => m.fromBot && /It is \d\d:\d\d: revoke/.test(textOf(m.card)));
}

async function waitForDueCards(e2e: E2E, chat: Conversation, count: number): Promise<PostedMessage[]> {
  await e2e.cloud.teams.waitForMessage(chat, () => dueCards(e2e, chat).length >= count, 20_000);
  return dueCards(e2e, chat);
}

/** Waits a few passes of the scheduler loop (SCHEDULE_POLL_SECONDS is 0.1 here). */
function passes(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 600));
}

async function trail(e2e: E2E, scheduleId: string): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: e2e.cloud.clock });
  try {
    return (await storage.audit.list({ requestId: scheduleId })).reverse();
  } finally {
    await storage.close();
  }
}

function scheduleIdOf(card: unknown): string {
  const match = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(card));
  assert.ok(match, `no schedule id in ${textOf(card).slice(0, 300)}`);
  return match[1]!;
}

async function arm(e2e: E2E, who: DirectoryUser, chat: Conversation, command: string): Promise<string> {
  const proposal = await sendForCard(e2e.cloud.teams, who, chat, command);
  assert.match(textOf(proposal.card), /Schedule this revocation\?/, textOf(proposal.card));
  const armed = await e2e.cloud.teams.click(who, proposal, 'Arm schedule');
  assert.match(textOf(armed.card), /Schedule armed/, textOf(armed));
  return scheduleIdOf(proposal.card);
}

describe('scheduled revocations, end to end', function () {
  this.timeout(90_000);
  let e2e: E2E;

  beforeEach(async function () {
    e2e = await startE2E({
      env: { SCHEDULE_POLL_SECONDS: '0.1', SCHEDULE_REMINDER_MINUTES: '30' },
      // The tests move the cloud's clock up to thirteen months (the next spring-forward day); tokens must outlive the move (emulator/clock.ts).
      tokenLifetimeInSeconds: 400 * 24 * 3600,
      prepare: (cloud) => {
        for (let i = 1; i <= 3; i += 1)
          cloud.directory.addUser({
            userPrincipalName: `contractor${i}@${cloud.directory.domain}`,
            displayName: `Contractor ${i}`,
            department: 'Contractors',
            accountEnabled: i !== 3,
          });
        return {};
      },
    });
  });

  afterEach(async function () {
    await e2e?.stop();
  });

  it('when a revoke is armed and the bot restarts before the due time, then the due card comes on time and two clicks give exactly one revoke, with the audit trail whole', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const when = onText(e2e, 3 * 60 * MINUTE);
    const proposal = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName} ${when.text}`);
    const shown = textOf(proposal.card);
    assert.match(shown, /Europe\/Berlin \(\d\d:\d\d UTC/, 'the time is shown back in the person’s zone and in UTC');
    assert.match(shown, /You could revoke them now/);
    const armed = await teams.click(uma, proposal, 'Arm schedule');
    assert.match(textOf(armed.card), /Schedule armed/);
    const id = scheduleIdOf(proposal.card);

    await e2e.restartBot();
    await passes();
    assert.equal(dueCards(e2e, chat).length, 0, 'nothing is posted before the due time');

    moveTo(e2e, when.dueAt + 10_000);
    const [due] = await waitForDueCards(e2e, chat, 1);
    assert.ok(due);
    assert.match(textOf(due.card), new RegExp(`It is ${when.text.slice(-5)}: revoke Adele Vance now\\?`));
    assert.doesNotMatch(textOf(due.card), /Posted late/);

    const before = successfulRevokes(e2e, adele.id);
    const clicks = await Promise.all([teams.click(uma, due, 'Revoke now'), teams.click(uma, due, 'Revoke now')]);
    assert.equal(successfulRevokes(e2e, adele.id) - before, 1, 'two clicks, one revoke');
    assert.ok(
      clicks.some((c) => textOf(c.card).includes('Scheduled revocation done')),
      textOf(clicks.map((c) => c.card ?? c.message)),
    );
    await teams.waitForMessage(chat, (m) => m.id === due.id && textOf(m.card).includes('Sessions revoked by Uma'), 10_000);

    const actions = (await trail(e2e, id)).map((r) => r.action);
    assert.deepEqual(actions, ['schedule.armed', 'schedule.due', 'revocation.started', 'revocation.succeeded']);
    const succeeded = (await trail(e2e, id)).find((r) => r.action === 'revocation.succeeded');
    assert.equal(succeeded?.actor?.aadObjectId, uma.id, 'the clicker acted, with their own token');
    assert.match(succeeded?.detail ?? '', /Scheduled revocation, 0 minutes after the due time/);
  });

  it('when the bot is down at the due time, then after the restart the due card is posted once, late, and says so', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const when = onText(e2e, 60 * MINUTE);
    const id = await arm(e2e, uma, chat, `revoke ${directory.user('adele').userPrincipalName} ${when.text}`);
    await e2e.stopBot();
    moveTo(e2e, when.dueAt + 2 * 60 * MINUTE);
    await e2e.startBotAgain();
    const [late] = await waitForDueCards(e2e, chat, 1);
    assert.match(textOf(late?.card), /Posted late: this was due/);
    await passes();
    assert.equal(dueCards(e2e, chat).length, 1, 'posted once');
    const due = (await trail(e2e, id)).find((r) => r.action === 'schedule.due');
    assert.match(due?.detail ?? '', /posted 120 minutes late/);
  });

  it('when nobody acts on a due card, then a reminder follows after the configured time, once, and the audit trail records the delay', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const when = onText(e2e, 60 * MINUTE);
    const id = await arm(e2e, uma, chat, `revoke ${directory.user('adele').userPrincipalName} ${when.text}`);
    moveTo(e2e, when.dueAt + 10_000);
    await waitForDueCards(e2e, chat, 1);
    moveTo(e2e, when.dueAt + 20 * MINUTE);
    await passes();
    const reminders = (): number =>
      teams.messages(chat).filter((m) => m.fromBot && (m.text ?? '').includes('Reminder: the scheduled revocation')).length;
    assert.equal(reminders(), 0, 'no reminder before 30 minutes');
    moveTo(e2e, when.dueAt + 31 * MINUTE);
    await teams.waitForMessage(chat, () => reminders() === 1, 10_000);
    await passes();
    assert.equal(reminders(), 1, 'one reminder');
    const reminded = (await trail(e2e, id)).find((r) => r.action === 'schedule.reminded');
    assert.match(reminded?.detail ?? '', /Nobody acted on the due card for 31 minutes/);
  });

  it('when a schedule is cancelled from the scheduled list, then nothing is posted at its time, and cancel schedule <id> says it is already cancelled', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const when = onText(e2e, 60 * MINUTE);
    const id = await arm(e2e, uma, chat, `revoke ${directory.user('adele').userPrincipalName} ${when.text}`);
    const list = await sendForCard(teams, uma, chat, 'scheduled');
    assert.match(textOf(list.card), /Scheduled revocations \(1\)/);
    assert.match(textOf(list.card), new RegExp(id));
    const cancelled = await teams.click(uma, list, 'Cancel this schedule');
    assert.match(textOf(cancelled.card), /Schedule cancelled/, textOf(cancelled));
    const again = await sendForCard(teams, uma, chat, `cancel schedule ${id}`);
    assert.match(textOf(again.card), /This schedule was cancelled/);
    moveTo(e2e, when.dueAt + 10_000);
    await passes();
    assert.equal(dueCards(e2e, chat).length, 0);
    assert.match(textOf((await sendForCard(teams, uma, chat, 'scheduled')).card), /Nothing is scheduled/);
  });

  it('when a weekly selection is armed, then each due card shows who matches at that time and what changed since the last run', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const start = wallTimeOf(e2e.cloud.clock.now(), BERLIN);
    const weekday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][(start.weekday + 2) % 7];
    await arm(e2e, uma, chat, `revoke where department eq 'Contractors' and accountEnabled eq true every ${weekday ?? 'monday'} 09:00`);

    moveTo(e2e, e2e.cloud.clock.nowInMs() + 3 * 24 * 60 * MINUTE);
    const [first] = await waitForDueCards(e2e, chat, 1);
    assert.ok(first);
    const opened = await teams.click(uma, first, 'Show who matches now');
    assert.match(textOf(opened.card), /Scheduled revocation opened/, textOf(opened));
    await teams.waitForMessage(chat, (m) => (m.text ?? '').includes('Matches now: 2. This is the first run.'), 10_000);

    directory.addUser({ userPrincipalName: `contractor4@${directory.domain}`, displayName: 'Contractor 4', department: 'Contractors' });
    const leaver = directory.user(`contractor1@${directory.domain}`);
    leaver.department = 'Staff';
    moveTo(e2e, e2e.cloud.clock.nowInMs() + 7 * 24 * 60 * MINUTE);
    const second = await teams.waitForMessage(
      chat,
      (m) => m.fromBot && m.id !== first.id && textOf(m.card).includes('It is 09:00: revoke'),
      20_000,
    );
    await teams.click(uma, second, 'Show who matches now');
    await teams.waitForMessage(chat, (m) => (m.text ?? '').includes('Matches now: 2. Since the last run: 1 joined, 1 left.'), 10_000);
  });

  it('when a filter holds hostile text (quotes, %27, &), then the preview selects exactly the users whose department is that text', async function () {
    const { teams, directory } = e2e.cloud;
    const hostile = "O'Brien & R%27D";
    directory.addUser({ userPrincipalName: `hostile1@${directory.domain}`, displayName: 'Hostile One', department: hostile });
    directory.addUser({ userPrincipalName: `hostile2@${directory.domain}`, displayName: 'Hostile Two', department: "O'Brien " });
    directory.addUser({ userPrincipalName: `hostile3@${directory.domain}`, displayName: 'Hostile Three', department: "R'D" });
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, "revoke where department eq 'O''Brien & R%27D'");
    const shown = textOf(card.card);
    assert.match(shown, /1 users? in selection/, shown);
    assert.match(shown, /Hostile One/);
    assert.doesNotMatch(shown, /Hostile Two|Hostile Three/);
    const listed = e2e.cloud.graph.server.calls.filter((c) => c.path === '/v1.0/users' && (c.query ?? '').includes('$filter='));
    assert.ok(
      listed.some((c) => (c.query ?? '').includes('department%20eq%20%27O%27%27Brien%20%26%20R%2527D%27')),
      `the value went as one OData literal, percent-encoded: ${listed.map((c) => c.query).join(' ')}`,
    );
    const ne = await sendForCard(teams, uma, chat, "revoke where department eq 'Contractors' and accountEnabled ne true");
    assert.match(textOf(ne.card), /Contractor 3/, 'ne went as an advanced query (ConsistencyLevel and $count)');
    assert.doesNotMatch(textOf(ne.card), /Contractor 1/);
  });

  it('when a weekly schedule is due on the day the clocks go forward, then it comes at 09:00 local time, which is an hour earlier in UTC', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    // The next day Berlin's clocks go forward (the last Sunday of March, at 01:00 UTC) that is more
    // than a week away, whatever today is; arm a week before it, at 10:00 UTC.
    const springForward = nextSpringForward(e2e.cloud.clock.nowInMs());
    moveTo(e2e, springForward.getTime() - 7 * 24 * 60 * MINUTE + 9 * 60 * MINUTE);
    await arm(e2e, uma, chat, `revoke ${directory.user('adele').userPrincipalName} every sunday 09:00`);
    moveTo(e2e, springForward.getTime() + 6 * 60 * MINUTE - 30_000);
    await passes();
    assert.equal(dueCards(e2e, chat).length, 0, 'not yet: 09:00 in Berlin that day is 07:00 UTC');
    moveTo(e2e, springForward.getTime() + 6 * 60 * MINUTE + 5_000);
    const [due] = await waitForDueCards(e2e, chat, 1);
    assert.match(textOf(due?.card), /It is 09:00: revoke Adele Vance now\?/);
    const day = `Sunday ${springForward.getUTCDate()} March ${springForward.getUTCFullYear()}`;
    assert.ok(textOf(due?.card).includes(`${day}, 09:00 Europe/Berlin (07:00 UTC)`), textOf(due?.card));
  });
});

describe('scheduled revocations with four eyes, end to end', function () {
  this.timeout(90_000);
  let e2e: E2E;
  let channel: Conversation;
  let team: Team;

  before(async function () {
    e2e = await startE2E({
      env: { SCHEDULE_POLL_SECONDS: '0.1' },
      tokenLifetimeInSeconds: 200 * 24 * 3600,
      prepare: (cloud) => {
        const d = cloud.directory;
        team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('paul'), d.user('uma')], { botInstalled: false });
        channel = team.channel('Revocation approvals');
        return { SECURITY_CHANNEL_ID: channel.id };
      },
    });
    await e2e.cloud.teams.installBot(team, e2e.cloud.directory.user('priya'));
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a schedule is set up, then only another person’s approval arms it, and its due card goes to the channel and the author, where the first click Entra allows revokes, and both copies say so', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const when = onText(e2e, 2 * 60 * MINUTE);
    const proposal = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName} ${when.text}`);
    assert.doesNotMatch(textOf(proposal.card), /Arm schedule/, 'the author cannot arm it alone');
    const id = scheduleIdOf(proposal.card);
    const asked = await teams.click(uma, proposal, 'Request approval');
    assert.match(textOf(asked.card), /Waiting for an approver/, textOf(asked));
    const approval = await teams.waitForMessage(
      channel,
      (m) => m.fromBot && textOf(m.card).includes('Approval needed: scheduled revocation'),
    );

    const self = await teams.click(uma, approval, 'Approve and arm', { signIn: true });
    assert.doesNotMatch(textOf(self.card), /Schedule armed/, 'the author may not approve their own schedule');
    const approved = await teams.click(priya, approval, 'Approve and arm', { signIn: true });
    assert.match(textOf(approved.card), /Schedule armed/, textOf(approved));
    assert.match(textOf(approved.card), /Approved by.*Priya/);

    moveTo(e2e, when.dueAt + 10_000);
    const inChannel = await teams.waitForMessage(
      channel,
      (m) => m.fromBot && /It is \d\d:\d\d: revoke Adele Vance now\?/.test(textOf(m.card)),
      20_000,
    );
    const [inChat] = await waitForDueCards(e2e, chat, 1);
    assert.ok(inChat);
    const before = successfulRevokes(e2e, adele.id);
    // Paul (Password Administrator) may not revoke Adele: Entra refuses him, and the card stays open for someone who may.
    const refused = await teams.click(directory.user('paul'), inChannel, 'Revoke now', { signIn: true });
    assert.match(textOf(refused.card), /didn’t go through/, textOf(refused));
    const clicked = await teams.click(priya, inChannel, 'Revoke now', { signIn: true });
    assert.match(textOf(clicked.card), /Sessions revoked by Priya/, textOf(clicked));
    assert.equal(successfulRevokes(e2e, adele.id) - before, 1, 'one revoke');
    await teams.waitForMessage(chat, (m) => m.id === inChat.id && textOf(m.card).includes('Sessions revoked by Priya'), 10_000);
    const actions = (await trail(e2e, id)).map((r) => r.action);
    assert.deepEqual(
      actions.filter((a) => a !== 'request.refused'),
      [
        'approval.requested',
        'approval.approved',
        'schedule.armed',
        'schedule.due',
        'revocation.started',
        'revocation.failed',
        'revocation.started',
        'revocation.succeeded',
      ],
    );
  });
});
