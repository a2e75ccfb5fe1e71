import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage } from '../../emulator/teams';
import { startE2E, type E2E } from '../helpers/e2e';

function cardText(card: unknown): string {
  return JSON.stringify(card ?? {});
}

describe('revoke, end to end through the emulated cloud', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a User Administrator revokes a UPN in a 1:1 chat, then Teams SSO signs them in, the card shows the target, and one revoke runs with their own token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    const before = adele.signInSessionsValidFromDateTime;
    const turn = await teams.send(uma, chat, `revoke ${adele.userPrincipalName}`);
    assert.equal(turn.status, 200, JSON.stringify(turn));
    const card = teams.messages(chat).find((m) => m.card && cardText(m.card).includes('Adele Vance'));
    assert.ok(
      card,
      `expected a lookup card; steps: ${turn.steps.join(' | ')}; messages: ${JSON.stringify(teams.messages(chat).map((m) => m.text ?? m.card ?? m.oauthCard))}`,
    );
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.equal(click.status, 200, JSON.stringify(click));
    assert.match(cardText(click.card), /Sessions revoked/i);
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 1);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 1, 'the revoke was made with Uma’s token');
    assert.notEqual(adele.signInSessionsValidFromDateTime, before);
    const everyone = await teams.waitForMessage(chat, (m) => m.id === card.id && cardText(m.card).includes('(verified)'), 10_000);
    assert.match(
      cardText(everyone.card),
      /Sessions revoked/i,
      'the card was updated for every viewer, with the new valid-from time read back',
    );
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.exec(e2e.logs.join('')), 'no JWT in the logs');
  });

  /** Looks `who` up as Uma and returns the confirmation card. */
  async function lookupCard(who: string): Promise<{ chat: Conversation; card: PostedMessage }> {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const target = directory.user(who);
    const turn = await teams.send(uma, chat, `revoke ${target.userPrincipalName}`);
    assert.equal(turn.status, 200, JSON.stringify(turn));
    const card = teams.messages(chat).find((m) => m.card && cardText(m.card).includes(target.displayName));
    assert.ok(card, `expected a lookup card; steps: ${turn.steps.join(' | ')}`);
    return { chat, card };
  }

  it('when the person confirms, then the answer comes after the revoke alone, and the card is updated to verified once the read-back lands', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const { chat, card } = await lookupCard('alex');
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    graph.injectFault({ route: GRAPH_ROUTES.getUser, until: held });
    try {
      const graphCallsBefore = graph.server.calls.length;
      const readsBefore = graph.count(GRAPH_ROUTES.getUser);
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.equal(click.status, 200, JSON.stringify(click));
      assert.deepEqual(
        graph.server.calls.slice(graphCallsBefore).map((c) => c.route),
        [GRAPH_ROUTES.revoke],
        'one Graph call answered before the answer: the revoke',
      );
      assert.match(cardText(click.card), /Sessions revoked/i);
      assert.match(cardText(click.card), /Checking that the directory shows the revoke/);
      assert.doesNotMatch(cardText(click.card), /\(verified\)/);
      release();
      const updated = await teams.waitForMessage(chat, (m) => m.id === card.id && cardText(m.card).includes('(verified)'), 10_000);
      assert.doesNotMatch(cardText(updated.card), /Checking that the directory/);
      assert.equal(graph.count(GRAPH_ROUTES.getUser) - readsBefore, 1, 'one read-back, after the answer');
      assert.deepEqual(
        graph.server.calls.slice(graphCallsBefore).map((c) => c.route),
        [GRAPH_ROUTES.revoke, GRAPH_ROUTES.getUser],
        'the revoke, then the read-back: exactly once each',
      );
    } finally {
      release();
      graph.clearFaults();
    }
  });

  it('when the read-back after the revoke fails, then the card says plainly that it is not verified', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const { chat, card } = await lookupCard('megan.bowen');
    graph.injectFault({ route: GRAPH_ROUTES.getUser, status: 403 });
    try {
      const click = await teams.click(uma, card, 'Revoke sessions');
      assert.match(cardText(click.card), /Sessions revoked/i);
      const updated = await teams.waitForMessage(chat, (m) => m.id === card.id && cardText(m.card).includes('Not verified'), 10_000);
      assert.match(cardText(updated.card), /could not be read back/);
      assert.doesNotMatch(cardText(updated.card), /Checking that the directory|\(verified\)/);
    } finally {
      graph.clearFaults();
    }
  });
});
