import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmulatedCloud } from '../../emulator/cloud';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { startChildBot, type ChildBot } from '../helpers/childBot';
import { freePort } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';
import { startScaleOut, type ScaleOut } from '../helpers/scaleOut';
import { testTls } from '../helpers/tls';

function approvalFor(messages: readonly PostedMessage[], name: string): PostedMessage {
  const card = messages.filter((m) => m.fromBot && m.card && textOf(m.card).includes(name)).at(-1);
  assert.ok(card, `no approval card for ${name}`);
  return card;
}

const successfulRevokes = (cloud: EmulatedCloud): number =>
  cloud.graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke && c.status >= 200 && c.status < 300).length;

describe('four eyes across two instances sharing storage (Azurite)', function () {
  this.timeout(120_000);
  let scale: ScaleOut;
  let security: { team: Team; channel: Conversation };

  before(async function () {
    scale = await startScaleOut({
      prepare: (cloud) => {
        const d = cloud.directory;
        const team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('grace'), d.user('uma')]);
        security = { team, channel: team.channel('Revocation approvals') };
        return { SECURITY_CHANNEL_ID: security.channel.id };
      },
    });
    scale.route(0);
    await scale.e2e.cloud.teams.installBot(security.team, scale.e2e.cloud.directory.user('grace'));
  });

  after(async function () {
    await scale?.stop();
  });

  it('when a request is made on one instance and two approvers approve at once through both, then exactly one revoke happens and both are told the truth', async function () {
    const { teams, directory, graph } = scale.e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const grace = directory.user('grace');
    scale.route(0);
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
    await teams.click(uma, card, 'Request revocation');
    const approval = approvalFor(teams.messages(security.channel), 'Adele Vance');
    scale.route(1);
    await teams.refresh(priya, approval);
    await teams.refresh(grace, approval);
    scale.route('round-robin');
    graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 300, times: 1 });
    const before = successfulRevokes(scale.e2e.cloud);
    const answers = await Promise.all([
      teams.click(priya, approval, 'Approve and revoke', { signIn: true }),
      teams.click(grace, approval, 'Approve and revoke', { signIn: true }),
    ]);
    assert.equal(successfulRevokes(scale.e2e.cloud) - before, 1, 'exactly one revoke across both instances');
    for (const answer of answers) assert.match(textOf(answer.card), /Approved/, textOf(answer));
    const hits = new Set(scale.balancer.hits.map((h) => h.backend));
    assert.deepEqual([...hits].sort(), [0, 1], 'both instances served traffic');
    await teams.waitForMessage(
      security.channel,
      (m) => m.id === approval.id && textOf(m.card).includes('Approved — sessions revoked'),
      10_000,
    );
  });
});

describe('four eyes when the bot process is killed between the request and the approval', function () {
  this.timeout(120_000);
  let cloud: EmulatedCloud;
  let root: string;
  let caFile: string;
  const bots: ChildBot[] = [];

  before(async function () {
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({ ca, botAppId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f7777' });
    root = mkdtempSync(path.join(tmpdir(), 'revoker-approval-kill-'));
    mkdirSync(path.join(root, 'data'));
    caFile = cloud.writeCaFile(path.join(root, 'ca.pem'));
  });

  after(async function () {
    for (const bot of bots) await bot.kill();
    await cloud?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('when the bot is killed after the approval card was posted, then the restarted bot (same data) lets an approver approve and tells the requester', async function () {
    const { teams, directory } = cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const team = teams.team('Security Operations', [priya, uma, directory.user('grace')]);
    const channel = team.channel('Revocation approvals');
    const port = await freePort();
    const env = { DATA_DIR: path.join(root, 'data'), SECURITY_CHANNEL_ID: channel.id };
    const first = await startChildBot(cloud, { port, caFile, env });
    bots.push(first);
    teams.botEndpoint = `${first.url}/api/messages`;
    await teams.installBot(team, directory.user('grace'));
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
    await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-9' } });
    const approval = approvalFor(teams.messages(channel), 'Alex Wilber');

    await first.kill();
    const second = await startChildBot(cloud, { port, caFile, env });
    bots.push(second);

    const view = await teams.refresh(priya, approval);
    assert.match(textOf(view?.card), /Approve and revoke/);
    const before = successfulRevokes(cloud);
    const approved = await teams.click(priya, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /Approved — sessions revoked/, textOf(approved));
    assert.equal(successfulRevokes(cloud) - before, 1);
    assert.match(textOf(currentCard(teams, channel, approval.id)), /INC-9/);
    await teams.waitForMessage(
      teams.personalChat(uma),
      (m) => (m.text ?? '').includes("approved your request: Alex Wilber's sessions are revoked"),
      10_000,
    );
  });
});
