/**
 * Faults end to end: Graph and Entra time-outs, 5xx, 429 storms, slow answers, dropped
 * connections and TLS failures; the connector failing to post or update; storage going away.
 * Every case is answered in plain words, the bot stays up, nothing is revoked twice and the
 * audit trail keeps every outcome.
 */
import assert from 'node:assert/strict';
import type { AuditLog } from '../../src/app/ports/auditLog';
import { StorageUnavailableError, type StateStore } from '../../src/app/ports/stateStore';
import { VERB } from '../../src/cards/verbs';
import { ENTRA_ROUTE } from '../../emulator/entra';
import { EmulatedServer } from '../../emulator/httpServer';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { createCertificateAuthority, issueServerCertificate } from '../../emulator/tls';
import type { OpenedStorage } from '../../src/storage';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf, requestIdOf } from '../helpers/flows';

/** Storage that fails on demand with the error the real backends throw when they cannot be used. */
class FailingStorage {
  stateDown = false;
  auditDown = false;
  opened: OpenedStorage | undefined;

  wrap = (storage: OpenedStorage): OpenedStorage => {
    this.opened = storage;
    return {
      ...storage,
      state: this.failWhen(storage.state, () => this.stateDown),
      audit: this.failWhen(storage.audit, () => this.auditDown),
      close: () => storage.close(),
    };
  };

  /** The audit trail as it really is (reads past the switch). */
  get audit(): AuditLog {
    assert.ok(this.opened);
    return this.opened.audit;
  }

  private failWhen<T extends StateStore | AuditLog>(target: T, down: () => boolean): T {
    return new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          down()
            ? Promise.reject(new StorageUnavailableError('Injected: storage unavailable.'))
            : (value as (...a: unknown[]) => unknown).apply(object, args);
      },
    });
  }
}

async function actionsOf(storage: FailingStorage, requestId: string): Promise<string[]> {
  return (await storage.audit.list({ requestId })).map((r) => `${r.action}${r.code ? `:${r.code}` : ''}`).reverse();
}

async function assertAlive(e2e: E2E): Promise<void> {
  const health = await fetch(`${e2e.bot.url}/healthz`);
  assert.equal(health.status, 200, 'the process is still up');
}

describe('faults, end to end', function () {
  this.timeout(30_000);
  const storage = new FailingStorage();
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E({ env: { GRAPH_TIMEOUT_SECONDS: '0.5', INVOKE_BUDGET_SECONDS: '1' }, wrapStorage: storage.wrap });
    // Every person used below signs in once, so faults hit the work and not the first sign-in.
    const { teams, directory } = e2e.cloud;
    for (const name of ['uma', 'helen', 'priya', 'grace'])
      await sendForCard(teams, directory.user(name), teams.personalChat(directory.user(name)), 'revoke adele@contoso.onmicrosoft.com');
  });

  afterEach(async function () {
    e2e.cloud.graph.clearFaults();
    e2e.cloud.entra.server.clearFaults();
    e2e.cloud.teams.server.clearFaults();
    storage.stateDown = false;
    storage.auditDown = false;
    await assertAlive(e2e);
  });

  after(async function () {
    await e2e?.stop();
  });

  describe('Microsoft Graph', function () {
    it('when Graph does not answer a lookup within GRAPH_TIMEOUT_SECONDS, then the agent is told so at once', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      graph.injectFault({ route: GRAPH_ROUTES.getUser, latencyInMs: 5000 });
      const before = graph.count(GRAPH_ROUTES.getUser);
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
      // The emulator logs a call when it answers: the agent heard back while Graph still held the read.
      assert.equal(graph.count(GRAPH_ROUTES.getUser), before, 'answered before Graph did');
      assert.match(textOf(card.card), /Microsoft Graph took too long/);
    });

    it('when the revoke times out, then the card says we can’t tell whether it changed, Graph was asked exactly once, and the audit trail has the start and the outcome', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke megan.bowen@contoso.onmicrosoft.com');
      graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 800 });
      const before = graph.count(GRAPH_ROUTES.revoke);
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /took too long/);
      assert.match(textOf(click.card), /can’t tell whether anything changed/);
      await new Promise((r) => setTimeout(r, 500)); // the late call lands in the emulator's log
      assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1, 'the bot did not repeat a revoke it could not confirm');
      assert.deepEqual(await actionsOf(storage, requestIdOf(card.card)), [
        'request.created',
        'revocation.started',
        'revocation.failed:timeout',
      ]);
    });

    it('when Graph answers 500, then the agent is told Microsoft 365 didn’t answer', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      graph.injectFault({ route: GRAPH_ROUTES.getUser, status: 500 });
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Microsoft 365 didn’t answer/);
    });

    it('when Graph throttles every call (a 429 storm), then the click is answered that Graph is busy, Graph is asked a bounded number of times and nothing is revoked', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      const megan = directory.user('megan.bowman');
      const validFrom = megan.signInSessionsValidFromDateTime;
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke megan.bowman@contoso.onmicrosoft.com');
      graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.05, times: Infinity });
      const before = graph.count(GRAPH_ROUTES.revoke);
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Microsoft Graph is busy/);
      assert.ok(graph.count(GRAPH_ROUTES.revoke) - before <= 4, `${graph.count(GRAPH_ROUTES.revoke) - before} calls`);
      assert.equal(megan.signInSessionsValidFromDateTime, validFrom);
      assert.deepEqual(await actionsOf(storage, requestIdOf(card.card)), [
        'request.created',
        'revocation.started',
        'revocation.failed:throttled',
      ]);
    });

    it('when every Graph call is slow but within the time-out, then the lookup still works', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      graph.injectFault({ route: '*', latencyInMs: 300, times: 2 });
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Revoke sessions/);
    });

    it('when Graph drops the connection on a lookup or on the revoke, then the agent is told plainly and nothing is revoked', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      const liam = directory.user("liam.o'brien");
      graph.injectFault({ route: GRAPH_ROUTES.getUser, resetConnection: true });
      const failed = await sendForCard(teams, uma, teams.personalChat(uma), "revoke liam.o'brien@contoso.onmicrosoft.com");
      assert.match(textOf(failed.card), /Microsoft 365 didn’t answer/);
      const card = await sendForCard(teams, uma, teams.personalChat(uma), "revoke liam.o'brien@contoso.onmicrosoft.com");
      const validFrom = liam.signInSessionsValidFromDateTime;
      graph.injectFault({ route: GRAPH_ROUTES.revoke, resetConnection: true });
      const before = graph.count(GRAPH_ROUTES.revoke);
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Microsoft 365 didn’t answer/);
      assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1);
      assert.equal(liam.signInSessionsValidFromDateTime, validFrom);
      assert.deepEqual(await actionsOf(storage, requestIdOf(card.card)), [
        'request.created',
        'revocation.started',
        'revocation.failed:graph_unavailable',
      ]);
    });
  });

  describe('Microsoft Entra ID', function () {
    // Aaron, Sam and Rita have not signed in yet: their first lookup needs an on-behalf-of exchange.
    // @azure/identity retries 5xx and dropped connections for seconds on its own: the turn's budget (1 s here) cuts it short.
    it('when Entra’s token endpoint answers 500 during the on-behalf-of exchange, then the agent is told it took too long', async function () {
      const { teams, directory, entra } = e2e.cloud;
      const aaron = directory.user('aaron');
      entra.server.injectFault({
        route: ENTRA_ROUTE.token,
        status: 500,
        body: { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred.' },
        times: 5,
      });
      const card = await sendForCard(teams, aaron, teams.personalChat(aaron), 'revoke adele@contoso.onmicrosoft.com');
      // @azure/identity would have kept retrying for seconds; the turn's budget ended the wait.
      assert.match(textOf(card.card), /took too long/);
    });

    it('when Entra drops the connection during the exchange, then the agent is told it took too long', async function () {
      const { teams, directory, entra } = e2e.cloud;
      const sam = directory.user('sam');
      entra.server.injectFault({ route: ENTRA_ROUTE.token, resetConnection: true, times: 5 });
      const card = await sendForCard(teams, sam, teams.personalChat(sam), 'revoke adele@contoso.onmicrosoft.com');
      // @azure/identity would have kept retrying for seconds; the turn's budget ended the wait.
      assert.match(textOf(card.card), /took too long/);
    });

    it('when Entra hangs during the exchange, then the agent is answered before Entra answers', async function () {
      const { teams, directory, entra } = e2e.cloud;
      const rita = directory.user('rita');
      // Every token call hangs (an earlier test's retries may still be arriving and must not take Rita's fault).
      entra.server.injectFault({ route: ENTRA_ROUTE.token, latencyInMs: 6000, times: Infinity });
      try {
        const ritasExchanges = (): number =>
          entra.server.calls.filter((c) => c.route === ENTRA_ROUTE.token && c.caller?.endsWith(`|${rita.id}`)).length;
        const card = await sendForCard(teams, rita, teams.personalChat(rita), 'revoke adele@contoso.onmicrosoft.com');
        // The emulator logs a call when it answers: the agent heard back while Entra still held Rita's exchange.
        assert.equal(ritasExchanges(), 0, 'answered before Entra did');
        assert.match(textOf(card.card), /took too long/);
      } finally {
        entra.server.clearFaults();
      }
    });
  });

  describe('the Teams connector', function () {
    it('when updating the card fails once with 503, then the update is retried and everyone sees the result in place, and the audit trail has it', async function () {
      const { teams, directory } = e2e.cloud;
      const helen = directory.user('helen');
      const chat = teams.personalChat(helen);
      const card = await sendForCard(teams, helen, chat, 'revoke alex@contoso.onmicrosoft.com');
      teams.server.injectFault({ route: 'update', status: 503, times: 1 });
      const click = await teams.click(helen, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Sessions revoked/);
      assert.match(textOf(currentCard(teams, chat, card.id)), /Sessions revoked/, 'the card itself was updated');
      assert.equal(teams.server.calls.filter((c) => c.route === 'update').length >= 2, true);
      assert.deepEqual(await actionsOf(storage, requestIdOf(card.card)), ['request.created', 'revocation.started', 'revocation.succeeded']);
    });

    it('when the connector refuses to post the answer to a message, then the turn still ends cleanly and the next one works', async function () {
      const { teams, directory } = e2e.cloud;
      const helen = directory.user('helen');
      const chat = teams.personalChat(helen);
      for (const route of ['send', 'reply']) teams.server.injectFault({ route, status: 403, times: 2 });
      const turn = await teams.send(helen, chat, 'revoke alex@contoso.onmicrosoft.com');
      assert.equal(turn.status, 200, `answered ${turn.status}`);
      teams.server.clearFaults();
      const card = await sendForCard(teams, helen, chat, 'revoke alex@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Revoke sessions/);
    });

    it('when the connector refuses both the card update and the new post after a revoke, then the clicker still sees the truth and the outcome is in the audit trail', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const priya = directory.user('priya');
      const chat = teams.personalChat(priya);
      const card = await sendForCard(teams, priya, chat, 'revoke adele@contoso.onmicrosoft.com');
      // 403: the bot was removed from the conversation (not retried by the SDK).
      for (const route of ['update', 'send', 'reply']) teams.server.injectFault({ route, status: 403, times: 20 });
      const click = await teams.click(priya, card, 'Revoke sessions');
      assert.match(textOf(click.card), /Sessions revoked/, 'never “nothing was changed” after a revoke');
      const requestId = requestIdOf(card.card);
      for (let i = 0; i < 50 && !(await actionsOf(storage, requestId)).includes('revocation.succeeded'); i += 1)
        await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await actionsOf(storage, requestId), ['request.created', 'revocation.started', 'revocation.succeeded']);
      assert.equal(graph.count(GRAPH_ROUTES.revoke, priya.id), 1);
    });
  });

  describe('storage', function () {
    it('when storage is unavailable, then a command is answered with why nothing was done, and readiness says not ready while liveness stays up', async function () {
      const { teams, directory } = e2e.cloud;
      const uma = directory.user('uma');
      storage.stateDown = true;
      storage.auditDown = true;
      const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke alex@contoso.onmicrosoft.com');
      assert.match(textOf(card.card), /Can’t record this action right now/);
      const ready = await fetch(`${e2e.bot.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /storage unavailable/);
      assert.equal((await fetch(`${e2e.bot.url}/healthz`)).status, 200);
      storage.stateDown = false;
      storage.auditDown = false;
      assert.equal((await fetch(`${e2e.bot.url}/readyz`)).status, 200, 'ready again once storage is back');
    });

    it('when the audit trail cannot be written at confirmation, then the bot refuses to revoke and says so; once it is back, the revoke happens exactly once', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const grace = directory.user('grace');
      const card = await sendForCard(teams, grace, teams.personalChat(grace), 'revoke alex@contoso.onmicrosoft.com');
      storage.auditDown = true;
      const before = graph.count(GRAPH_ROUTES.revoke);
      const refused = await teams.click(grace, card, 'Revoke sessions');
      assert.match(textOf(refused.card), /could not write its audit trail, so it did not act/);
      assert.equal(graph.count(GRAPH_ROUTES.revoke), before, 'no unaudited revoke');
      storage.auditDown = false;
      const chat = teams.personalChat(grace);
      const retried = await teams.postActivity(
        teams.invokeActivityFor(grace, chat, card, 'adaptiveCard/action', {
          action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
          trigger: 'manual',
        }),
      );
      assert.match(textOf(retried.body), /Sessions revoked/);
      assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1);
      assert.deepEqual(await actionsOf(storage, requestIdOf(card.card)), ['request.created', 'revocation.started', 'revocation.succeeded']);
    });

    it('when all storage is gone at the moment of a click, then the click is answered with why nothing was done and nothing is revoked', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const uma = directory.user('uma');
      const chat = teams.personalChat(uma);
      const card = await sendForCard(teams, uma, chat, 'revoke alex@contoso.onmicrosoft.com');
      storage.stateDown = true;
      storage.auditDown = true;
      const before = graph.count(GRAPH_ROUTES.revoke);
      const answer = await teams.postActivity(
        teams.invokeActivityFor(uma, chat, card, 'adaptiveCard/action', {
          action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
          trigger: 'manual',
        }),
      );
      assert.equal(answer.status, 200);
      assert.match(textOf(answer.body), /Can’t record this action right now/);
      assert.equal(graph.count(GRAPH_ROUTES.revoke), before);
      assert.doesNotMatch(textOf(currentCard(teams, chat, card.id)), /Sessions revoked/);
    });
  });
});

describe('a Graph endpoint with a certificate the bot does not trust, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;
  let rogue: EmulatedServer;

  before(async function () {
    // A server for Graph's address whose certificate comes from a CA the bot has never seen.
    const otherCa = await createCertificateAuthority('Not the CA the bot trusts');
    rogue = new EmulatedServer({ name: 'rogue-graph', tls: await issueServerCertificate(otherCa) });
    rogue.route('any', 'GET', /.*/, () => ({ status: 200, body: { value: [] } }));
    const url = await rogue.listen();
    e2e = await startE2E({ env: { GRAPH_ENDPOINT: url } });
  });

  after(async function () {
    await e2e?.stop();
    await rogue?.close();
  });

  it('when the TLS handshake fails, then the agent is told Microsoft 365 didn’t answer and no request (nor token) reached that server', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Microsoft 365 didn’t answer/);
    assert.equal(rogue.calls.length, 0);
    await assertAlive(e2e);
  });
});
