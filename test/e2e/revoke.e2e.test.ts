import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
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
    assert.match(cardText(click.card), /\(verified\)/, 'the new valid-from time was read back');
    assert.equal(graph.count(GRAPH_ROUTES.revoke), 1);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 1, 'the revoke was made with Uma’s token');
    assert.notEqual(adele.signInSessionsValidFromDateTime, before);
    const everyone = teams.messages(chat).find((m) => m.id === card.id);
    assert.match(cardText(everyone?.card), /Sessions revoked/i, 'the card was updated for every viewer');
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.exec(e2e.logs.join('')), 'no JWT in the logs');
  });
});
