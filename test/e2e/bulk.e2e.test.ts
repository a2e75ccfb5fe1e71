import assert from 'node:assert/strict';
import { addBulkPopulation, type DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

/** Successful single revokes inside $batch, per user id, from the Graph call log. */
function revokesPerUser(e2e: E2E): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of e2e.cloud.graph.server.calls) {
    if (call.route !== GRAPH_ROUTES.revoke || call.status >= 300) continue;
    const id = /\/users\/([0-9a-f-]{36})\/revokeSignInSessions/.exec(call.path)?.[1];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function waitForCard(e2e: E2E, conversation: Conversation, id: string, pattern: RegExp): Promise<void> {
  await e2e.cloud.teams.waitForMessage(conversation, (m) => m.id === id && pattern.test(textOf(m.card)), 20_000);
}

describe('bulk revocation from chat, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let hp: DirectoryUser[];

  before(async function () {
    e2e = await startE2E({
      env: { INVOKE_BUDGET_SECONDS: '3' },
      prepare: (cloud) => {
        hp = addBulkPopulation(cloud.directory, { department: 'HP', count: 45, privileged: 1 }).users;
        return {};
      },
    });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when an agent revokes a department of 45, then the card shows the count, a sample and the admins; starting revokes in 3 batches with progress, and the report lists the one refusal', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke department "HP"');
    const shown = textOf(card.card);
    assert.match(shown, /45 users in department “HP”/);
    assert.match(shown, /1 privileged/);
    assert.match(shown, /HP User 001 \(privileged admin\)/);
    assert.match(shown, /Revoke all 45/);
    graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.2, times: 3 });
    const batchesBefore = graph.count(GRAPH_ROUTES.batch);
    const started = await teams.click(uma, card, 'Revoke all 45');
    assert.match(textOf(started.card), /Revoking sessions|Bulk revocation finished/);
    await waitForCard(e2e, chat, card.id, /Bulk revocation finished/);
    const updates = teams.connectorLog.filter((call) => call.operation === 'update' && call.activityId === card.id && call.status < 300);
    assert.ok(updates.length >= 2, `the card was updated as the run went (running, then the report): ${updates.length} updates`);
    const report = textOf(currentCard(teams, chat, card.id));
    assert.match(report, /44 revoked/);
    assert.match(report, /1 not revoked/);
    assert.match(report, /HP User 001 \(hp\.user001@contoso\.onmicrosoft\.com\): you can’t revoke/);
    const perUser = revokesPerUser(e2e);
    for (const user of hp.slice(1)) assert.equal(perUser.get(user.id), 1, `${user.displayName} revoked exactly once`);
    assert.equal(perUser.get(hp[0]!.id) ?? 0, 0, 'the privileged member was refused, not revoked');
    const batches = graph.count(GRAPH_ROUTES.batch) - batchesBefore;
    assert.ok(batches >= 3 && batches <= 6, `${batches} $batch requests (3, plus retries of throttled items)`);
    assert.ok(card.updatedCount >= 0);
  });

  it('when the bot restarts in the middle of a run, then the person who started it resumes it with Refresh and nobody is revoked twice', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const grace = directory.user('grace');
    const chat = teams.personalChat(grace);
    // 10 batches, at most 4 in flight: the restart comes while most are still to be sent.
    const population = addBulkPopulation(directory, { department: 'Ops', count: 200, privileged: 0 }).users;
    const card = await sendForCard(teams, grace, chat, 'revoke department Ops');
    graph.injectFault({ route: GRAPH_ROUTES.batch, latencyInMs: 600, times: 100 });
    await teams.click(grace, card, 'Revoke all 200');
    await new Promise((r) => setTimeout(r, 300));
    await e2e.restartBot();
    graph.clearFaults();
    assert.doesNotMatch(textOf(currentCard(teams, chat, card.id)), /Bulk revocation finished/, 'the restart interrupted the run');
    assert.ok(revokesPerUser(e2e).size < population.length, 'some users were still to do');
    const refreshed = await teams.click(grace, card, 'Refresh');
    assert.match(textOf(refreshed.card), /Revoking sessions|Bulk revocation finished/, textOf(refreshed));
    await waitForCard(e2e, chat, card.id, /Bulk revocation finished/);
    assert.match(textOf(currentCard(teams, chat, card.id)), /200 revoked/);
    const perUser = revokesPerUser(e2e);
    for (const user of population) assert.equal(perUser.get(user.id), 1, `${user.displayName} revoked exactly once`);
  });

  it('when the group is too big for one run, then the agent is told the limit', async function () {
    const small = await startE2E({
      env: { BULK_MAX_TARGETS: '10' },
      prepare: (cloud) => {
        addBulkPopulation(cloud.directory, { department: 'Big', count: 12, privileged: 0 });
        return {};
      },
    });
    try {
      const uma = small.cloud.directory.user('uma');
      const answer = await sendForCard(small.cloud.teams, uma, small.cloud.teams.personalChat(uma), 'revoke department Big');
      assert.match(textOf(answer.card), /Too many users for one run/);
      assert.match(textOf(answer.card), /at most 10/);
    } finally {
      await small.stop();
    }
  });

  it('when the tenant has not consented to GroupMember.Read.All, then only group runs are refused and single revokes keep working', async function () {
    const { teams, directory, app } = e2e.cloud;
    const consented = app.consentedGraphScopes.splice(0);
    app.consentedGraphScopes.push(...consented.filter((scope) => scope !== 'GroupMember.Read.All'));
    try {
      const aaron = directory.user('aaron');
      const chat = teams.personalChat(aaron);
      const group = await sendForCard(teams, aaron, chat, 'revoke group "Finance Team"');
      assert.match(textOf(group.card), /isn’t approved/);
      const single = await sendForCard(teams, aaron, chat, 'revoke megan.bowen@contoso.onmicrosoft.com');
      assert.match(textOf(single.card), /Revoke sessions/);
    } finally {
      app.consentedGraphScopes.splice(0, app.consentedGraphScopes.length, ...consented);
    }
  });

  it('when nobody is in it or the group does not exist, then the agent is told so', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    assert.match(textOf((await sendForCard(teams, uma, chat, 'revoke department "Nowhere"')).card), /Nobody to revoke/);
    assert.match(textOf((await sendForCard(teams, uma, chat, 'revoke group "No Such Group"')).card), /Not found/);
  });
});

describe('bulk revocation with four eyes, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let security: { team: Team; channel: Conversation };

  before(async function () {
    e2e = await startE2E({
      prepare: (cloud) => {
        addBulkPopulation(cloud.directory, { group: 'Phished Team', count: 25, privileged: 0 });
        const d = cloud.directory;
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

  it('when a group run is requested, then it always goes to the security channel, and an approver’s approval runs it with the approver’s token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke group "Phished Team"');
    assert.doesNotMatch(textOf(card.card), /Revoke all/);
    const sent = await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'Phishing wave INC-77' } });
    assert.match(textOf(sent.card), /Waiting for an approver/);
    const approval: PostedMessage | undefined = teams
      .messages(security.channel)
      .filter((m) => m.fromBot && textOf(m.card).includes('Phished Team'))
      .at(-1);
    assert.ok(approval);
    assert.match(textOf(approval.card), /INC-77/);
    const view = await teams.refresh(priya, approval);
    assert.match(textOf(view?.card), /Approve and revoke all/);
    const self = await teams.refresh(uma, approval);
    assert.doesNotMatch(textOf(self?.card ?? {}), /Approve and revoke all/, 'the requester never sees Approve');
    await teams.click(priya, approval, 'Approve and revoke all', { signIn: true });
    await waitForCard(e2e, security.channel, approval.id, /Bulk revocation finished/);
    assert.match(textOf(currentCard(teams, security.channel, approval.id)), /25 revoked/);
    assert.equal(graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke && c.caller === priya.id && c.status < 300).length, 25);
    await teams.waitForMessage(teams.personalChat(uma), (m) => (m.text ?? '').includes('approved your bulk request'), 10_000);
  });
});
