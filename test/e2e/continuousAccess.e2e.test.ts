/**
 * Continuous Access Evaluation for the bot's own tokens, end to end: the bot asks for its
 * on-behalf-of tokens as a CAE client (cp1), the emulated Graph challenges a token issued before
 * its user's sessions were revoked (or while the account is disabled), and the bot stops using it
 * at once and asks the person to sign in again — instead of acting for up to an hour through a
 * warm session. Graph's call log names the token of every call (its uti), so the tests can prove
 * the challenged token never reaches Graph again.
 */
import assert from 'node:assert/strict';
import type { RecordedCall } from '../../emulator/httpServer';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

/** Resolves once the wall clock has moved into the next whole second (Entra and Graph compare whole seconds). */
async function nextSecond(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === now) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('continuous access evaluation for the bot’s own tokens, end to end', function () {
  this.timeout(40_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  function graphCallsOf(userId: string, since: number): RecordedCall[] {
    return e2e.cloud.graph.server.calls.slice(since).filter((c) => c.caller === userId);
  }

  it('an agent whose own sessions were revoked keeps acting through a warm session: their next click is challenged once, then they must sign in again, and the stale token never reaches Graph again', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const helen = directory.user('helen');
    const uma = directory.user('uma');
    const megan = directory.user('megan.bowen');
    // Helen is warm: her lookup went through, her Graph token is cached.
    const warmUp = graph.server.calls.length;
    const card = await sendForCard(teams, helen, teams.personalChat(helen), `revoke ${megan.userPrincipalName}`);
    const staleTokens = new Set(graphCallsOf(helen.id, warmUp).map((c) => c.tokenId));
    assert.ok(staleTokens.size > 0 && [...staleTokens].every(Boolean), 'Graph’s log names the tokens of the lookup');

    // Someone else revokes Helen's sessions through the bot, in a later second than her token.
    await nextSecond();
    const helenCard = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${helen.userPrincipalName}`);
    const revoked = await teams.click(uma, helenCard, 'Revoke sessions');
    assert.match(textOf(revoked.card), /Sessions revoked/, textOf(revoked));

    const before = graph.server.calls.length;
    const meganBefore = megan.signInSessionsValidFromDateTime;
    const click = await teams.click(helen, card, 'Revoke sessions');
    const calls = graphCallsOf(helen.id, before);
    assert.deepEqual(
      calls.slice(0, 1).map((c) => [c.route, c.status, staleTokens.has(c.tokenId)]),
      [[GRAPH_ROUTES.revoke, 401, true]],
      'the one call made with the stale token was challenged, and Megan was not revoked by it',
    );
    assert.ok(
      calls.slice(1).every((c) => !staleTokens.has(c.tokenId)),
      'no call after the challenge carried the stale token',
    );
    assert.equal(click.steps[0], 'invoke→401 loginRequest', `the click was answered with a sign-in request: ${click.steps.join(' | ')}`);
    // Teams signed Helen in afresh (silent SSO in the emulator); only that new sign-in acted.
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
    assert.notEqual(megan.signInSessionsValidFromDateTime, meganBefore);
    assert.ok(calls.some((c) => c.route === GRAPH_ROUTES.revoke && c.status === 200 && !staleTokens.has(c.tokenId)));
  });

  it('an agent whose account was disabled keeps a warm session: their next click is challenged once and nothing more reaches Graph for them', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const aaron = directory.user('aaron');
    const alex = directory.user('alex');
    const card = await sendForCard(teams, aaron, teams.personalChat(aaron), `revoke ${alex.userPrincipalName}`);
    aaron.accountEnabled = false;
    try {
      const before = graph.server.calls.length;
      const alexBefore = alex.signInSessionsValidFromDateTime;
      const click = await teams.click(aaron, card, 'Revoke sessions');
      assert.deepEqual(
        graphCallsOf(aaron.id, before).map((c) => [c.route, c.status]),
        [[GRAPH_ROUTES.revoke, 401]],
        'one challenged call, then nothing: Entra refuses a disabled account a new token',
      );
      assert.equal(click.steps[0], 'invoke→401 loginRequest');
      assert.match(textOf(click.card), /sign-in has expired/i, textOf(click));
      assert.equal(alex.signInSessionsValidFromDateTime, alexBefore);
      // The next command asks for a sign-in again instead of using a warm session.
      const again = graph.server.calls.length;
      await teams.send(aaron, teams.personalChat(aaron), 'whoami');
      assert.deepEqual(graphCallsOf(aaron.id, again), [], 'no Graph call for a disabled agent');
    } finally {
      aaron.accountEnabled = true;
    }
  });

  it('an agent revoked while they type: the command is challenged once and they are asked to sign in, and the command resumes only with a fresh sign-in', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const priya = directory.user('priya');
    const chat = teams.personalChat(priya);
    const warmUp = graph.server.calls.length;
    await sendForCard(teams, priya, chat, 'whoami');
    const staleTokens = new Set(graphCallsOf(priya.id, warmUp).map((c) => c.tokenId));
    await nextSecond();
    // Revoked directly in the directory (by an admin elsewhere).
    priya.signInSessionsValidFromDateTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const before = graph.server.calls.length;
    const turn = await teams.send(priya, chat, 'whoami');
    const calls = graphCallsOf(priya.id, before);
    const stale = calls.filter((c) => staleTokens.has(c.tokenId));
    // whoami reads the user and their roles at once: both calls were on their way with the stale token.
    assert.ok(
      stale.length >= 1 && stale.length <= 2 && stale.every((c) => c.status === 401),
      `every call with the stale token was challenged: ${JSON.stringify(stale)}`,
    );
    assert.ok(turn.steps.includes('oauth card'), `a sign-in was asked for: ${turn.steps.join(' | ')}`);
    const firstFresh = calls.findIndex((c) => !staleTokens.has(c.tokenId));
    assert.ok(
      firstFresh > 0 && calls.slice(firstFresh).every((c) => !staleTokens.has(c.tokenId)),
      'once challenged, the stale token never came back',
    );
    assert.ok(
      calls.slice(firstFresh).every((c) => c.status === 200),
      'the resumed command ran with the fresh sign-in',
    );
    assert.match(
      textOf(
        teams
          .messages(chat)
          .filter((m) => m.card)
          .at(-1)?.card,
      ),
      /Priya Privauth/,
    );
  });
});
