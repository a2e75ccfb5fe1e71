/**
 * Directory data and reasons that look like credentials, end to end: whoever sets a job title, a
 * display name or a reason must not decide whether an account can be looked up, revoked, run in
 * bulk or audited through the bot. The storage guard refuses credentials only in the fields the bot
 * fills itself (src/storage/secretGuard.ts); these values are stored as they are.
 */
import assert from 'node:assert/strict';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { systemClock } from '../../src/domain/clock';
import type { DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

/** The seeded "Security Operations" group (Priya and Sam): audit administrators here. */
const SECURITY_OPERATIONS = 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f03';
const JOB_TITLE = 'Basic Telecommunications Lead';
const REASON = 'Basic auth/IMAP abuse';
/** An unsigned JWT's shape ({"alg":"none"}.{"sub":"x"}.) inside a display name. */
const JWT_SHAPED = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
const DEPARTMENT = 'Telecom Field Ops';

async function auditRecords(e2e: E2E): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return await storage.audit.list({ limit: 1000 });
  } finally {
    await storage.close();
  }
}

describe('credential-looking directory data and reasons, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let security: { team: Team; channel: Conversation };
  let tess: DirectoryUser;
  let crew: DirectoryUser[];

  before(async function () {
    e2e = await startE2E({
      env: { AUDIT_ADMIN_GROUP_ID: SECURITY_OPERATIONS },
      prepare: (cloud) => {
        const d = cloud.directory;
        tess = d.addUser({
          userPrincipalName: `tess.lead@${d.domain}`,
          displayName: 'Tess Lead',
          jobTitle: JOB_TITLE,
          department: DEPARTMENT,
        });
        crew = [
          tess,
          d.addUser({
            userPrincipalName: `jay.token@${d.domain}`,
            displayName: `Jay ${JWT_SHAPED}`,
            jobTitle: 'Bearer Operations Coordinator',
            department: DEPARTMENT,
          }),
          d.addUser({
            userPrincipalName: `kim.field@${d.domain}`,
            displayName: 'Kim Field',
            jobTitle: 'Technician',
            department: DEPARTMENT,
          }),
        ];
        const team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('uma'), d.user('grace')]);
        security = { team, channel: team.channel('Revocation approvals') };
        return { SECURITY_CHANNEL_ID: security.channel.id };
      },
    });
    await e2e.cloud.teams.installBot(security.team, e2e.cloud.directory.user('grace'));
  });

  after(async function () {
    await e2e?.stop();
  });

  function approvalCardFor(pattern: RegExp): PostedMessage {
    const card = e2e.cloud.teams
      .messages(security.channel)
      .filter((m) => m.fromBot && pattern.test(textOf(m.card)))
      .at(-1);
    assert.ok(card, `no approval card matching ${String(pattern)}`);
    return card;
  }

  it(`Blocking revocation with a credential-looking job title: a target whose job title is “${JOB_TITLE}” is looked up, revoked with the reason “${REASON}”, and every step is audited`, async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${tess.userPrincipalName}`);
    assert.match(textOf(card.card), /Basic Telecommunications Lead/);
    const sent = await teams.click(uma, card, 'Request revocation', { inputs: { reason: REASON } });
    assert.match(textOf(sent.card), /Waiting for an approver/);
    const approval = approvalCardFor(/Tess Lead/);
    assert.match(textOf(approval.card), /Basic auth\\?\/IMAP abuse/);
    await teams.refresh(priya, approval);
    const approved = await teams.click(priya, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /Approved/, textOf(approved.card));
    assert.equal(
      graph.server.calls.filter(
        (c) => c.route === GRAPH_ROUTES.revoke && c.path.endsWith(`/users/${tess.id}/revokeSignInSessions`) && c.status < 300,
      ).length,
      1,
    );

    const aboutTess = (await auditRecords(e2e)).filter((r) => r.target?.id === tess.id).map((r) => r.action);
    for (const action of ['request.created', 'approval.requested', 'approval.approved', 'revocation.succeeded'] as const)
      assert.ok(aboutTess.includes(action), `${action} in ${aboutTess.join(', ')}`);
    assert.ok(
      (await auditRecords(e2e)).some((r) => r.action === 'approval.requested' && r.detail === REASON),
      'the reason is in the audit trail as typed',
    );
    const trail = await sendForCard(teams, priya, teams.personalChat(priya), `audit for ${tess.userPrincipalName}`);
    assert.match(textOf(trail.card), /Tess Lead/);
    assert.match(textOf(trail.card), /revoked|succeeded/i);
  });

  it('Blocking a bulk run with one credential-looking member: a department holding that job title and a JWT-shaped display name is revoked in full, and each revocation is audited', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const from = graph.server.calls.length;
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke department "${DEPARTMENT}"`);
    assert.match(textOf(card.card), /3 users in/, textOf(card.card));
    const sent = await teams.click(uma, card, 'Request revocation', { inputs: { reason: REASON } });
    assert.match(textOf(sent.card), /Waiting for an approver/, textOf(sent.card));
    const approval = approvalCardFor(new RegExp(DEPARTMENT));
    await teams.refresh(priya, approval);
    await teams.click(priya, approval, 'Approve and revoke all', { signIn: true });
    await teams.waitForMessage(
      security.channel,
      (m) => m.id === approval.id && textOf(m.card).includes('Bulk revocation finished'),
      20_000,
    );
    assert.match(textOf(currentCard(teams, security.channel, approval.id)), /3 revoked/);
    const revoked = graph.server.calls
      .slice(from)
      .filter((c) => c.route === GRAPH_ROUTES.revoke && c.status < 300)
      .map((c) => /\/users\/([0-9a-f-]{36})\//.exec(c.path)?.[1]);
    assert.deepEqual(revoked.sort(), crew.map((u) => u.id).sort());
    const succeeded = (await auditRecords(e2e)).filter(
      (r) => r.action === 'revocation.succeeded' && crew.some((u) => u.id === r.target?.id) && r.actor?.aadObjectId === priya.id,
    );
    assert.equal(succeeded.length, 4, 'Tess before, and the three of the run');
    assert.ok(
      succeeded.some((r) => r.target?.displayName === `Jay ${JWT_SHAPED}`),
      'the display name is stored as Graph gave it',
    );
  });
});
