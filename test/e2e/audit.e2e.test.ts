import assert from 'node:assert/strict';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { AUDIT_CSV_COLUMNS } from '../../src/app/auditExport';
import type { Conversation, PostedMessage } from '../../emulator/teams';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';
import { systemClock } from '../../src/domain/clock';

/** The seeded "Security Operations" group: Priya and Sam. */
const SECURITY_OPERATIONS = 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f03';

async function auditRecords(e2e: E2E): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return await storage.audit.list({ limit: 1000 });
  } finally {
    await storage.close();
  }
}

/** Sends a message and returns the bot's text replies to it. */
async function sendForText(
  e2e: E2E,
  from: ReturnType<E2E['cloud']['directory']['user']>,
  chat: Conversation,
  text: string,
): Promise<PostedMessage[]> {
  const { teams } = e2e.cloud;
  const seen = new Set(teams.messages(chat).map((m) => m.id));
  const turn = await teams.send(from, chat, text);
  assert.equal(turn.status, 200);
  return teams.messages(chat).filter((m) => m.fromBot && !seen.has(m.id) && m.text);
}

/** The facts and texts of the audit card's entries (one string per entry). */
function entriesOf(card: unknown): string[] {
  const body = (card as { body?: { type?: string; items?: unknown[] }[] }).body ?? [];
  return body.filter((item) => item.type === 'Container').map((item) => JSON.stringify(item.items));
}

describe('the audit command, end to end', function () {
  this.timeout(60_000);

  describe('for members of the audit administrators’ group', function () {
    let e2e: E2E;

    before(async function () {
      e2e = await startE2E({ env: { AUDIT_ADMIN_GROUP_ID: SECURITY_OPERATIONS } });
      const { teams, directory } = e2e.cloud;
      const uma = directory.user('uma');
      const chat = teams.personalChat(uma);
      const adeleCard = await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com');
      await teams.click(uma, adeleCard, 'Revoke sessions');
      const alexCard = await sendForCard(teams, uma, chat, 'revoke alex@contoso.onmicrosoft.com');
      await teams.click(uma, alexCard, 'Cancel');
      const helen = directory.user('helen');
      await sendForCard(teams, helen, teams.personalChat(helen), 'revoke megan.bowen@contoso.onmicrosoft.com');
    });

    after(async function () {
      await e2e?.stop();
    });

    it('when a group member asks for the audit trail, then the card lists the newest actions, newest first, and the viewing is itself recorded', async function () {
      const { teams, directory } = e2e.cloud;
      const priya = directory.user('priya');
      const card = await sendForCard(teams, priya, teams.personalChat(priya), 'audit');
      const text = textOf(card.card);
      assert.match(text, /Audit trail/);
      const entries = entriesOf(card.card);
      assert.equal(entries.length, 6, text);
      assert.match(entries[0]!, /Revocation requested/);
      assert.match(entries[0]!, /Helen Helpdesk/);
      assert.ok(entries.some((e) => e.includes('Sessions revoked') && e.includes('Adele Vance') && e.includes('Uma Useradmin')));
      assert.ok(entries.some((e) => e.includes('Request cancelled') && e.includes('Alex Wilber')));
      const viewed = (await auditRecords(e2e)).find((r) => r.action === 'audit.viewed');
      assert.ok(viewed, 'the view is recorded');
      assert.equal(viewed.actor?.aadObjectId, priya.id);
      assert.equal(viewed.code, 'admin_group');
      assert.equal(viewed.tenantId, directory.tenantId);
    });

    it('when asking for a number, a target or an actor, then only those records are shown', async function () {
      const { teams, directory } = e2e.cloud;
      const sam = directory.user('sam');
      const chat = teams.personalChat(sam);
      assert.equal(entriesOf((await sendForCard(teams, sam, chat, 'audit 2')).card).length, 2);
      const aboutAdele = entriesOf((await sendForCard(teams, sam, chat, 'audit for adele@contoso.onmicrosoft.com')).card);
      assert.equal(aboutAdele.length, 3);
      assert.ok(aboutAdele.every((e) => e.includes('Adele Vance')));
      const byHelen = entriesOf((await sendForCard(teams, sam, chat, 'audit by helen@contoso.onmicrosoft.com')).card);
      assert.equal(byHelen.length, 1);
      assert.match(byHelen[0]!, /Megan Bowen/);
      const aboutNobody = await sendForCard(teams, sam, chat, 'audit for 00000000-0000-4000-8000-000000000000');
      assert.match(textOf(aboutNobody.card), /Nothing recorded yet/);
    });

    it('when exporting, then CSV or JSON Lines come inline in a code block, oldest first, and the export is recorded', async function () {
      const { teams, directory } = e2e.cloud;
      const priya = directory.user('priya');
      const chat = teams.personalChat(priya);
      const [csvMessage] = await sendForText(e2e, priya, chat, 'audit export for adele@contoso.onmicrosoft.com');
      assert.ok(csvMessage?.text);
      const csv = /```\n([\s\S]*)```/.exec(csvMessage.text)?.[1] ?? '';
      const lines = csv.trimEnd().split('\n');
      assert.equal(lines[0], AUDIT_CSV_COLUMNS.join(','));
      assert.deepEqual(
        lines.slice(1).map((line) => line.split(',')[4]),
        ['request.created', 'revocation.started', 'revocation.succeeded'],
      );
      const [jsonlMessage] = await sendForText(e2e, priya, chat, 'audit export jsonl 2');
      const jsonl = /```\n([\s\S]*)```/.exec(jsonlMessage?.text ?? '')?.[1] ?? '';
      const records = jsonl
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditRecord);
      assert.equal(records.length, 2);
      assert.ok(records[0]!.seq < records[1]!.seq, 'oldest first');
      const exported = (await auditRecords(e2e)).filter((r) => r.action === 'audit.exported');
      assert.equal(exported.length, 2);
      assert.match(exported[1]?.detail ?? '', /exported 3 records as CSV about adele@contoso\.onmicrosoft\.com/);
    });

    it('when someone outside the group asks, then they are refused politely, shown nothing, and the refusal is recorded', async function () {
      const { teams, directory } = e2e.cloud;
      const helen = directory.user('helen');
      const card = await sendForCard(teams, helen, teams.personalChat(helen), 'audit');
      assert.match(textOf(card.card), /You can’t read the audit trail/);
      assert.doesNotMatch(textOf(card.card), /Adele Vance/);
      const refused = (await auditRecords(e2e)).find((r) => r.action === 'audit.refused');
      assert.equal(refused?.actor?.aadObjectId, helen.id);
      assert.equal(refused?.code, 'not_member');
      assert.equal(refused?.outcome, 'refused');
    });
  });

  describe('for members of the security channel', function () {
    let e2e: E2E;
    let channel: Conversation;

    before(async function () {
      e2e = await startE2E({
        prepare: (cloud) => {
          const d = cloud.directory;
          channel = cloud.teams.team('Security Operations', [d.user('paul'), d.user('priya')]).channel('Revocation approvals');
          return { SECURITY_CHANNEL_ID: channel.id };
        },
      });
    });

    after(async function () {
      await e2e?.stop();
    });

    it('when a channel member writes audit in the channel, then they see the trail; afterwards also in a 1:1 chat, through the channel’s roster', async function () {
      const { teams, directory } = e2e.cloud;
      const paul = directory.user('paul');
      const turn = await teams.send(paul, channel, 'audit', { signIn: true });
      assert.equal(turn.status, 200);
      const inChannel = teams
        .messages(channel)
        .filter((m) => m.fromBot && m.card)
        .at(-1);
      assert.match(textOf(inChannel?.card), /Audit trail/, turn.steps.join(' | '));
      const oneToOne = await sendForCard(teams, paul, teams.personalChat(paul), 'audit');
      assert.match(textOf(oneToOne.card), /Audit trail/);
      assert.match(textOf(oneToOne.card), /Audit trail viewed/, 'the first view is in the trail');
      const views = (await auditRecords(e2e)).filter((r) => r.action === 'audit.viewed');
      assert.deepEqual(
        views.map((r) => r.code),
        ['security_channel', 'security_channel'],
      );
    });

    it('when someone who is not in the channel’s team asks in a 1:1 chat, then they are refused', async function () {
      const { teams, directory } = e2e.cloud;
      const helen = directory.user('helen');
      const card = await sendForCard(teams, helen, teams.personalChat(helen), 'audit');
      assert.match(textOf(card.card), /You can’t read the audit trail/);
    });
  });

  describe('when nobody is configured to read it', function () {
    let e2e: E2E;

    before(async function () {
      e2e = await startE2E();
    });

    after(async function () {
      await e2e?.stop();
    });

    it('then everyone is refused, and the attempt is recorded', async function () {
      const { teams, directory } = e2e.cloud;
      const grace = directory.user('grace');
      const card = await sendForCard(teams, grace, teams.personalChat(grace), 'audit');
      assert.match(textOf(card.card), /You can’t read the audit trail/);
      const refused = (await auditRecords(e2e)).find((r) => r.action === 'audit.refused');
      assert.equal(refused?.code, 'not_configured');
    });
  });
});
