import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

describe('when Entra or Graph says no, or is slow, end to end', function () {
  this.timeout(40_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E({ env: { INVOKE_BUDGET_SECONDS: '1.5' } });
  });

  afterEach(function () {
    e2e.cloud.graph.clearFaults();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a user without an admin role confirms, then Entra refuses, nothing is revoked and the card names the roles that would do', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const adele = directory.user('adele');
    const alex = directory.user('alex');
    const before = alex.signInSessionsValidFromDateTime;
    const card = await sendForCard(teams, adele, teams.personalChat(adele), 'revoke alex@contoso.onmicrosoft.com');
    const click = await teams.click(adele, card, 'Revoke sessions');
    const text = textOf(click.card);
    assert.match(text, /You can’t revoke/);
    assert.match(text, /Helpdesk Administrator/);
    assert.match(text, /User Administrator/);
    assert.match(text, /Privileged Identity Management/);
    assert.match(text, /Graph request id: [0-9a-f-]{36}/);
    assert.equal(alex.signInSessionsValidFromDateTime, before);
    assert.equal(
      graph.server.calls
        .filter((c) => c.route === GRAPH_ROUTES.revoke && c.caller === adele.id)
        .map((c) => c.status)
        .join(),
      '403',
    );
  });

  it('when a Password Administrator confirms against a Global Administrator, then Entra refuses and the card names the privileged roles', async function () {
    const { teams, directory } = e2e.cloud;
    const paul = directory.user('paul');
    const grace = directory.user('grace');
    const before = grace.signInSessionsValidFromDateTime;
    const card = await sendForCard(teams, paul, teams.personalChat(paul), 'revoke grace@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Global Administrator/);
    const click = await teams.click(paul, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Privileged Authentication Administrator or Global Administrator/);
    assert.equal(grace.signInSessionsValidFromDateTime, before);
  });

  it('when the target was deleted after the lookup, then the card says the user no longer exists', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const dan = directory.user('dan.disabled');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke dan.disabled@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Disabled/);
    directory.users.delete(dan.id);
    try {
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /User not found/);
      assert.doesNotMatch(textOf(click.card), /Retry/);
    } finally {
      directory.users.set(dan.id, dan);
    }
  });

  it('when Graph throttles twice, then the bot waits as told and the revoke succeeds within the click', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke megan.bowen@contoso.onmicrosoft.com');
    const before = graph.count(GRAPH_ROUTES.revoke);
    graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.2, times: 2 });
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click.card));
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 3);
  });

  it('when Graph keeps answering 503, then the card says Microsoft 365 didn’t answer, offers a retry, and a retry after recovery succeeds', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const megan = directory.user('megan.bowman');
    const before = megan.signInSessionsValidFromDateTime;
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke megan.bowman@contoso.onmicrosoft.com');
    graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 503, retryAfterInSeconds: 0.1, times: 100 });
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /didn’t answer/);
    assert.equal(megan.signInSessionsValidFromDateTime, before);
    graph.clearFaults();
    const retry = await teams.click(uma, card, 'Retry');
    assert.match(textOf(retry.card), /Sessions revoked/);
  });

  it('when the app lacks admin consent, then the agent is told an admin must grant it', async function () {
    const { teams, directory } = e2e.cloud;
    const gus = directory.user('gus');
    gus.oboFailure = 'consent_required';
    try {
      const card = await sendForCard(teams, gus, teams.personalChat(gus), 'revoke adele@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /isn’t approved/);
      assert.match(textOf(card.card), /admin consent/);
    } finally {
      gus.oboFailure = undefined;
    }
  });

  it('when Entra requires MFA, then the agent is told to sign in again and offered sign-in once, without a loop', async function () {
    const { teams, directory } = e2e.cloud;
    const rita = directory.user('rita');
    rita.oboFailure = 'interaction_required';
    try {
      const chat = teams.personalChat(rita);
      const turn = await teams.send(rita, chat, 'revoke adele@contoso.onmicrosoft.com');
      const said = teams.messages(chat).filter((m) => m.fromBot);
      assert.ok(
        said.some((m) => /sign in again/i.test(textOf(m.card))),
        textOf(said),
      );
      assert.ok(said.filter((m) => m.oauthCard).length <= 2, `sign-in offered ${said.filter((m) => m.oauthCard).length} times`);
      assert.ok(turn.steps.length < 20, turn.steps.join(' | '));
    } finally {
      rita.oboFailure = undefined;
    }
  });

  it('when Graph is slower than the click’s budget, then the clicker sees “working…” at once and everyone sees the result when it lands', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke alex@contoso.onmicrosoft.com');
    graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 2500, times: 1 });
    const before = graph.count(GRAPH_ROUTES.revoke);
    const click = await teams.click(uma, card, 'Revoke sessions');
    // The emulator logs the revoke when it answers: the clicker was answered while Graph still held it.
    assert.equal(graph.count(GRAPH_ROUTES.revoke), before, 'answered before Graph did');
    assert.match(textOf(click.card), /Revoking sessions/);
    const updated = await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('Sessions revoked'), 10_000);
    assert.match(textOf(updated.card), /\(verified\)/, 'the late result is published once, already read back');
  });

  it('when updating the card fails, then the result is posted as a new message and never lost', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com');
    const seen = new Set(teams.messages(chat).map((m) => m.id));
    teams.server.injectFault({
      route: 'update',
      status: 404,
      body: { error: { code: 'ActivityNotFoundInConversation', message: 'The activity was not found.' } },
      times: 10,
    });
    try {
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Sessions revoked/);
      const posted = teams.messages(chat).filter((m) => m.fromBot && !seen.has(m.id) && textOf(m.card).includes('Sessions revoked'));
      assert.equal(posted.length, 1);
      assert.doesNotMatch(textOf(currentCard(teams, chat, card.id)), /Sessions revoked/);
    } finally {
      teams.server.clearFaults();
    }
  });
});
