import assert from 'node:assert/strict';
import { VERB } from '../../src/cards/verbs';
import type { DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { systemClock } from '../../src/domain/clock';
import { approve } from '../../src/domain/approval';
import { REQUEST_APPROVALS, type RevocationRequest } from '../../src/domain/revocationRequest';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf, requestIdOf } from '../helpers/flows';

interface Security {
  team: Team;
  channel: Conversation;
}

/** A security team whose channel is SECURITY_CHANNEL_ID; the bot is not installed until the test says so. */
async function startWithSecurityChannel(env: Record<string, string> = {}): Promise<{ e2e: E2E; security: Security }> {
  let security: Security | undefined;
  const e2e = await startE2E({
    env,
    prepare: (cloud) => {
      const d = cloud.directory;
      const team = cloud.teams.team(
        'Security Operations',
        [d.user('priya'), d.user('paul'), d.user('grace'), d.user('sam'), d.user('uma')],
        { botInstalled: false },
      );
      security = { team, channel: team.channel('Revocation approvals') };
      return { SECURITY_CHANNEL_ID: security.channel.id };
    },
  });
  return { e2e, security: security! };
}

/** The approval card the bot posted in the channel for this target. */
function approvalCardFor(e2e: E2E, channel: Conversation, targetName: string): PostedMessage {
  const card = e2e.cloud.teams
    .messages(channel)
    .filter((m) => m.fromBot && m.card && textOf(m.card).includes(targetName))
    .at(-1);
  assert.ok(card, `no approval card for ${targetName} in the channel`);
  return card;
}

/** An approver's own view of the card: Teams refreshes it for the listed users. */
async function approverView(e2e: E2E, user: DirectoryUser, message: PostedMessage): Promise<void> {
  const refreshed = await e2e.cloud.teams.refresh(user, message);
  assert.ok(refreshed, `${user.displayName} is not in the card's refresh list`);
  assert.match(textOf(refreshed.card), /Approve and revoke/);
}

describe('four eyes: approvals in the security channel, end to end', function () {
  this.timeout(40_000);
  let e2e: E2E;
  let security: Security;

  before(async function () {
    ({ e2e, security } = await startWithSecurityChannel());
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when the bot is not in the security team yet, then a request says so clearly and stays open; once installed, the same card goes through', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Request revocation/);
    assert.doesNotMatch(textOf(card.card), /"Revoke sessions"/);
    const early = await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-4211' } });
    assert.match(textOf(early.card), /Request revocation/, 'the request is still open');
    assert.ok(
      teams.messages(chat).some((m) => textOf(m.card).includes('isn’t in the security channel yet')),
      'the requester is told why',
    );
    assert.equal(teams.messages(security.channel).filter((m) => m.fromBot).length, 0);

    await teams.installBot(security.team, directory.user('grace'));
    const sent = await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-4211' } });
    assert.match(textOf(sent.card), /Waiting for an approver/);
    assert.match(textOf(sent.card), /Withdraw request/);
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    assert.match(textOf(approval.card), /Approval needed/);
    assert.match(textOf(approval.card), /INC-4211/);
    assert.match(textOf(approval.card), /Uma Useradmin/);
    assert.doesNotMatch(textOf(approval.card), /Approve and revoke/, 'the base card everyone sees is read-only');
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
  });

  it('when the requester tries to approve their own request, or to revoke directly, then it is refused', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    const requestId = requestIdOf(approval.card);
    const self = await teams.postActivity(
      teams.invokeActivityFor(uma, security.channel, approval, 'adaptiveCard/action', {
        action: { type: 'Action.Execute', verb: VERB.approve, data: { requestId } },
        trigger: 'manual',
      }),
    );
    assert.match(textOf(self.body), /another member of the security team/);
    const chat = teams.personalChat(uma);
    const direct = await teams.postActivity(
      teams.invokeActivityFor(
        uma,
        chat,
        teams
          .messages(chat)
          .filter((m) => m.card)
          .at(-1)!,
        'adaptiveCard/action',
        { action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId } }, trigger: 'manual' },
      ),
    );
    assert.doesNotMatch(textOf(direct.body), /Sessions revoked/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
  });

  it('forged approve or reject from outside the security channel: refused with where approvals happen, nothing revoked, and the request still waits for an approver there', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const priya = directory.user('priya');
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    const subjectId = requestIdOf(approval.card);
    const elsewhere = teams.personalChat(priya);
    const ownCard = await sendForCard(teams, priya, elsewhere, 'help');
    for (const verb of [VERB.approve, VERB.reject]) {
      const forged = await teams.postActivity(
        teams.invokeActivityFor(priya, elsewhere, ownCard, 'adaptiveCard/action', {
          action: { type: 'Action.Execute', verb, data: { subjectId } },
          trigger: 'manual',
        }),
      );
      assert.match(textOf(forged.body), /Approvals happen in #Revocation approvals/, `${verb} outside the channel`);
    }
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
    await approverView(e2e, priya, approval);
  });

  it('when an approver lacks the role, then they see the 403 with the roles needed and the request stays open for another approver', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const paul = directory.user('paul');
    const adele = directory.user('adele');
    const before = adele.signInSessionsValidFromDateTime;
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    await approverView(e2e, paul, approval);
    const refused = await teams.click(paul, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(refused.card), /can’t revoke|lacks/i, textOf(refused));
    assert.match(textOf(refused.card), /stays open for another approver/);
    assert.match(textOf(refused.card), /Approve and revoke/, 'Paul can still see the request');
    assert.equal(adele.signInSessionsValidFromDateTime, before);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, paul.id), 1, 'the refused attempt was made with Paul’s own token');
    assert.match(textOf(currentCard(teams, security.channel, approval.id)), /Approval needed/);
  });

  it('when two approvers approve at once, then exactly one revoke runs with one approver’s token, the channel card and the requester are updated', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const priya = directory.user('priya');
    const grace = directory.user('grace');
    const uma = directory.user('uma');
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    await approverView(e2e, priya, approval);
    await approverView(e2e, grace, approval);
    const before = graph.count(GRAPH_ROUTES.revoke);
    const [a, b] = await Promise.all([
      teams.click(priya, approval, 'Approve and revoke', { signIn: true }),
      teams.click(grace, approval, 'Approve and revoke', { signIn: true }),
    ]);
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1, 'exactly one revoke');
    const byPriya = graph.count(GRAPH_ROUTES.revoke, priya.id);
    const byGrace = graph.count(GRAPH_ROUTES.revoke, grace.id);
    assert.equal(byPriya + byGrace, 1);
    for (const r of [a, b]) assert.match(textOf(r.card), /Approved/, textOf(r.card));
    // The read-back that verifies the revoke follows the answer and updates the card for everyone.
    const verified = await teams.waitForMessage(
      security.channel,
      (m) => m.id === approval.id && textOf(m.card).includes('verified: the directory shows it'),
      10_000,
    );
    const everyone = textOf(verified.card);
    assert.match(everyone, /Approved — sessions revoked/);
    assert.match(everyone, /Graph request id/);
    const chat = teams.messages(teams.personalChat(uma));
    assert.ok(
      chat.some((m) => (m.text ?? '').includes("approved your request: Adele Vance's sessions are revoked")),
      'the requester was told',
    );
    assert.ok(
      chat.some((m) => textOf(m.card).includes('Approved — sessions revoked')),
      'the requester’s card was updated',
    );
  });

  it('when an approver rejects with a note, then nothing is revoked, the channel card says who and why, and the requester is told', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const sam = directory.user('sam');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
    await teams.click(uma, card, 'Request revocation');
    const approval = approvalCardFor(e2e, security.channel, 'Alex Wilber');
    await approverView(e2e, sam, approval);
    const before = graph.count(GRAPH_ROUTES.revoke);
    const rejected = await teams.click(sam, approval, 'Reject', { inputs: { note: 'Alex is on leave, no sign of compromise' } });
    assert.match(textOf(rejected.card), /Rejected by Sam Secadmin/);
    assert.match(textOf(currentCard(teams, security.channel, approval.id)), /no sign of compromise/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
    assert.ok(
      teams
        .messages(teams.personalChat(uma))
        .some((m) => (m.text ?? '').includes("rejected your request to revoke Alex Wilber's sessions: “Alex is on leave")),
    );
  });

  it('when a second request comes for a target that already waits for approval, then it points to the first instead of posting again', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const helen = directory.user('helen');
    const first = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke megan.bowen@contoso.onmicrosoft.com');
    await teams.click(uma, first, 'Request revocation');
    const second = await sendForCard(teams, helen, teams.personalChat(helen), 'revoke megan.bowen@contoso.onmicrosoft.com');
    const answer = await teams.click(helen, second, 'Request revocation');
    assert.match(textOf(answer.card), /Already waiting for approval/);
    assert.match(textOf(answer.card), /Uma Useradmin/);
    assert.equal(teams.messages(security.channel).filter((m) => m.fromBot && textOf(m.card).includes('Megan Bowen')).length, 1);
  });

  it('when the requester withdraws, then the channel card says so and nobody can approve it', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const chat = teams.personalChat(uma);
    const waiting = teams
      .messages(chat)
      .filter((m) => m.card && textOf(m.card).includes('Megan Bowen') && textOf(m.card).includes('Withdraw request'))
      .at(-1);
    assert.ok(waiting);
    const approval = approvalCardFor(e2e, security.channel, 'Megan Bowen');
    const requestId = requestIdOf(approval.card);
    const withdrawn = await teams.click(uma, waiting, 'Withdraw request');
    assert.match(textOf(withdrawn.card), /Withdrawn/);
    assert.match(textOf(currentCard(teams, security.channel, approval.id)), /Withdrawn/);
    const before = graph.count(GRAPH_ROUTES.revoke);
    const late = await teams.postActivity(
      teams.invokeActivityFor(priya, security.channel, approval, 'adaptiveCard/action', {
        action: { type: 'Action.Execute', verb: VERB.approve, data: { requestId } },
        trigger: 'manual',
      }),
    );
    assert.match(textOf(late.body), /Withdrawn/);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
  });

  it('when the bot restarts between the request and the approval, then a User Administrator approves from the stored record, with their own token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const helen = directory.user('helen');
    const uma = directory.user('uma');
    const card = await sendForCard(teams, helen, teams.personalChat(helen), 'revoke megan.bowman@contoso.onmicrosoft.com');
    await teams.click(helen, card, 'Request revocation');
    await e2e.restartBot();
    const approval = approvalCardFor(e2e, security.channel, 'Megan Bowman');
    await approverView(e2e, uma, approval);
    const before = graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke && c.status === 200).length;
    const approved = await teams.click(uma, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /Approved — sessions revoked/);
    const revokes = graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke && c.status === 200).slice(before);
    assert.deepEqual(
      revokes.map((c) => c.caller),
      [uma.id],
      'exactly one revoke, made with the User Administrator’s token',
    );
    assert.ok(
      teams
        .messages(teams.personalChat(helen))
        .some((m) => (m.text ?? '').includes("Uma Useradmin approved your request: Megan Bowman's sessions are revoked")),
    );
  });

  it('when the bot is removed from the security team, then a request says so and nothing is lost', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    security.team.botInstalled = false;
    try {
      const card = await sendForCard(teams, uma, teams.personalChat(uma), "revoke liam.o'brien@contoso.onmicrosoft.com");
      const answer = await teams.click(uma, card, 'Request revocation');
      assert.match(textOf(answer.card), /Request revocation/, 'still open');
      assert.ok(teams.messages(teams.personalChat(uma)).some((m) => textOf(m.card).includes('isn’t in the security channel yet')));
      security.team.botInstalled = true;
      const retried = await teams.click(uma, card, 'Request revocation');
      assert.match(textOf(retried.card), /Waiting for an approver/);
    } finally {
      security.team.botInstalled = true;
    }
  });

  it('when the requester ticks containment steps, then the approval card shows the plan and the approver’s approval runs them with the approver’s token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const lee = directory.user('lee.gu');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke lee.gu@contoso.onmicrosoft.com');
    await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-4300', disableAccount: 'true' } });
    const approval = approvalCardFor(e2e, security.channel, 'Lee Gu');
    assert.match(textOf(approval.card), /Also requested: disable the account/);
    await approverView(e2e, priya, approval);
    const approved = await teams.click(priya, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /✓ Account disabled/);
    assert.equal(lee.accountEnabled, false);
    assert.equal(graph.count(GRAPH_ROUTES.updateUser, priya.id), 1, 'the approver’s token disabled the account');
    assert.equal(graph.count(GRAPH_ROUTES.updateUser, uma.id), 0);
    lee.accountEnabled = true;
  });

  it('sign-in with a known password between the revoke and the disable, approved request: on the wire the approver’s token disables the account and resets the password before the revoke', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const grace = directory.user('grace');
    const alex = directory.user('alex');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${alex.userPrincipalName}`);
    await teams.click(uma, card, 'Request revocation', {
      inputs: { reason: 'INC-4301', disableAccount: 'true', resetPassword: 'true', disableDevices: 'true' },
    });
    const approval = approvalCardFor(e2e, security.channel, 'Alex Wilber');
    await approverView(e2e, grace, approval);
    const before = graph.server.calls.length;
    const approved = await teams.click(grace, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /Approved — sessions revoked/, textOf(approved));
    // The read-back that verifies the revoke follows the answer, after the bundle.
    await teams.waitForMessage(
      security.channel,
      (m) => m.id === approval.id && textOf(m.card).includes('verified: the directory shows it'),
      10_000,
    );
    assert.deepEqual(
      graph.server.calls
        .slice(before)
        .filter((c) => c.caller === grace.id)
        .map((c) => `${c.route} ${c.status}`),
      [
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.revoke} 200`,
        `${GRAPH_ROUTES.registeredDevices} 200`,
        `${GRAPH_ROUTES.getUser} 200`,
      ],
    );
    assert.equal(alex.accountEnabled, false);
    alex.accountEnabled = true;
  });

  it('revoke me still needs no approver', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const rita = directory.user('rita');
    const card = await sendForCard(teams, rita, teams.personalChat(rita), 'revoke me');
    const done = await teams.click(rita, card, 'Revoke sessions');
    assert.match(textOf(done.card), /Sessions revoked/);
    assert.equal(graph.count(GRAPH_ROUTES.revokeMe, rita.id), 1);
  });

  it('when an approver approves, then the answer comes after the revoke alone, and the approval card and the requester’s card are updated to verified once the read-back lands', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const grace = directory.user('grace');
    const lee = directory.user('lee.gu');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, `revoke ${lee.userPrincipalName}`);
    await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-4302' } });
    const approval = approvalCardFor(e2e, security.channel, 'Lee Gu');
    await approverView(e2e, grace, approval);
    const told = (): number =>
      teams.messages(chat).filter((m) => (m.text ?? '').includes("approved your request: Lee Gu's sessions are revoked")).length;
    const toldBefore = told();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    graph.injectFault({ route: GRAPH_ROUTES.getUser, until: held });
    try {
      const graphCallsBefore = graph.server.calls.length;
      const approved = await teams.click(grace, approval, 'Approve and revoke', { signIn: true });
      assert.equal(approved.status, 200, JSON.stringify(approved));
      assert.deepEqual(
        graph.server.calls.slice(graphCallsBefore).map((c) => c.route),
        [GRAPH_ROUTES.revoke],
        'one Graph call answered before the approver’s answer: the revoke',
      );
      assert.match(textOf(approved.card), /Approved — sessions revoked/);
      assert.match(textOf(approved.card), /checking that the directory shows it/);
      assert.doesNotMatch(textOf(approved.card), /verified: the directory shows it/);
      assert.equal(told() - toldBefore, 1, 'the requester was told with the answer');
      assert.doesNotMatch(textOf(currentCard(teams, chat, card.id)), /\(verified/, 'the requester’s card is not verified yet');
      release();
      const everyone = await teams.waitForMessage(
        security.channel,
        (m) => m.id === approval.id && textOf(m.card).includes('verified: the directory shows it'),
        10_000,
      );
      assert.doesNotMatch(textOf(everyone.card), /checking that the directory/);
      await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('(verified'), 10_000);
      assert.deepEqual(
        graph.server.calls.slice(graphCallsBefore).map((c) => `${c.route} ${c.caller === grace.id ? 'by grace' : 'by someone else'}`),
        [`${GRAPH_ROUTES.revoke} by grace`, `${GRAPH_ROUTES.getUser} by grace`],
        'the revoke, then the read-back with the approver’s token: exactly once each',
      );
      assert.equal(told() - toldBefore, 1, 'the requester was told once; the read-back only updated their card');
    } finally {
      release();
      graph.clearFaults();
    }
  });
});

describe('four eyes: an approved revoke interrupted by a crash, end to end', function () {
  this.timeout(40_000);
  let e2e: E2E;
  let security: Security;

  before(async function () {
    ({ e2e, security } = await startWithSecurityChannel());
    await e2e.cloud.teams.installBot(security.team, e2e.cloud.directory.user('grace'));
  });

  after(async function () {
    await e2e?.stop();
  });

  /** Rewrites the stored request as if `approver` had approved it ten minutes ago and the process had died mid-revoke. */
  async function crashMidApproval(requestId: string, approver: DirectoryUser): Promise<RevocationRequest> {
    const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
    try {
      const stored = await storage.state.get<RevocationRequest>(NAMESPACE.requests, requestId);
      assert.ok(stored);
      const person = { tenantId: e2e.cloud.directory.tenantId, aadObjectId: approver.id, name: approver.displayName };
      const started = approve(
        REQUEST_APPROVALS,
        stored.value,
        { person, conversationId: stored.value.approval?.channelId ?? '' },
        new Date(Date.now() - 10 * 60_000),
      );
      assert.ok(started.ok, 'the approval could start');
      assert.ok((await storage.state.replace(NAMESPACE.requests, requestId, started.value, stored.etag)).ok);
      return started.value;
    } finally {
      await storage.close();
    }
  }

  async function storedRequest(requestId: string): Promise<RevocationRequest | undefined> {
    const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
    try {
      return (await storage.state.get<RevocationRequest>(NAMESPACE.requests, requestId))?.value;
    } finally {
      await storage.close();
    }
  }

  it('forged confirm by the requester on a stale approved execution: refused and nothing changes; an approver recovers it and approves again', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const priya = directory.user('priya');
    const grace = directory.user('grace');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName}`);
    await teams.click(uma, card, 'Request revocation', { inputs: { reason: 'INC-4400' } });
    const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
    const requestId = requestIdOf(approval.card);
    await approverView(e2e, grace, approval);
    const crashed = await crashMidApproval(requestId, priya);

    const before = graph.server.calls.length;
    const forged = await teams.postActivity(
      teams.invokeActivityFor(
        uma,
        chat,
        teams
          .messages(chat)
          .filter((m) => m.card)
          .at(-1)!,
        'adaptiveCard/action',
        {
          action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId } },
          trigger: 'manual',
        },
      ),
    );
    assert.equal(forged.status, 200);
    assert.doesNotMatch(textOf(forged.body), /Sessions revoked|took too long/);
    assert.deepEqual(await storedRequest(requestId), crashed, 'the request is exactly as the crash left it');
    assert.equal(graph.server.calls.length, before, 'no Graph call at all');

    const recovered = await teams.click(grace, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(recovered.card), /took too long/, textOf(recovered));
    assert.match(textOf(recovered.card), /stays open for another approver/);
    assert.equal((await storedRequest(requestId))?.state, 'awaitingApproval');
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 0, 'the recovery read the target back and revoked nothing');
    const approved = await teams.click(grace, approval, 'Approve and revoke', { signIn: true });
    assert.match(textOf(approved.card), /Approved — sessions revoked/, textOf(approved));
    assert.equal(graph.count(GRAPH_ROUTES.revoke, grace.id), 1);
  });
});

describe('four eyes: expiry and a private channel, end to end', function () {
  this.timeout(30_000);

  it('when nobody approves in time, then the card says it expired and approving does nothing', async function () {
    const { e2e, security } = await startWithSecurityChannel({ APPROVAL_TTL_HOURS: '0.0004' });
    try {
      const { teams, directory, graph } = e2e.cloud;
      await teams.installBot(security.team, directory.user('grace'));
      const uma = directory.user('uma');
      const priya = directory.user('priya');
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
      await teams.click(uma, card, 'Request revocation');
      const approval = approvalCardFor(e2e, security.channel, 'Adele Vance');
      await approverView(e2e, priya, approval);
      await new Promise((r) => setTimeout(r, 1700));
      const late = await teams.click(priya, approval, 'Approve and revoke', { signIn: true });
      assert.match(textOf(late.card), /Expired/);
      assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
    } finally {
      await e2e.stop();
    }
  });

  it('when the security channel is private, then requests are refused with the reason and stay open', async function () {
    let channel: Conversation | undefined;
    const e2e = await startE2E({
      prepare: (cloud) => {
        const d = cloud.directory;
        const team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('uma')]);
        channel = team.privateChannel('Secret approvals', [d.user('priya'), d.user('uma')]);
        return { SECURITY_CHANNEL_ID: channel.id };
      },
    });
    try {
      const { teams, directory } = e2e.cloud;
      const priya = directory.user('priya');
      const uma = directory.user('uma');
      await teams.send(priya, channel!, 'help');
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
      const answer = await teams.click(uma, card, 'Request revocation');
      assert.match(textOf(answer.card), /Request revocation/);
      assert.ok(teams.messages(teams.personalChat(uma)).some((m) => textOf(m.card).includes('private channel')));
    } finally {
      await e2e.stop();
    }
  });
});
