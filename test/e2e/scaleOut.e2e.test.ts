import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { sendForCard, textOf } from '../helpers/flows';
import { startScaleOut, type ScaleOut } from '../helpers/scaleOut';

describe('two bot instances sharing Azure Blob Storage (Azurite) behind one load balancer', function () {
  this.timeout(90_000);
  let scale: ScaleOut;

  before(async function () {
    scale = await startScaleOut();
  });

  afterEach(function () {
    scale.e2e.cloud.graph.clearFaults();
  });

  after(async function () {
    await scale?.stop();
  });

  it('when a request is made through instance A and confirmed through instance B, then B revokes exactly once and the audit trail holds the whole story in order', async function () {
    const { teams, directory, graph } = scale.e2e.cloud;
    const uma = directory.user('uma');
    const adele = directory.user('adele');
    const chat = teams.personalChat(uma);
    scale.route(0);
    const card = await sendForCard(teams, uma, chat, `revoke ${adele.userPrincipalName}`);
    assert.match(textOf(card.card), /Adele Vance/);
    const before = graph.count(GRAPH_ROUTES.revoke);
    const hitsBefore = scale.balancer.hits.length;
    scale.route(1);
    const click = await teams.click(uma, card, 'Revoke sessions');
    assert.match(textOf(click.card), /Sessions revoked/, textOf(click));
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1);
    assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id) >= 1, true, 'revoked with Uma’s own token');
    const clickHits = scale.balancer.hits.slice(hitsBefore);
    assert.ok(clickHits.length > 0 && clickHits.every((hit) => hit.backend === 1), 'every activity of the click went to B');
    assert.ok(
      scale.balancer.hits.slice(0, hitsBefore).every((hit) => hit.backend === 0),
      'the request went to A',
    );
    const requestId = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(card.card))?.[1];
    assert.ok(requestId);
    const trail = (await (await scale.store()).audit.list({ requestId })).reverse();
    assert.deepEqual(
      trail.map((record) => record.action),
      ['request.created', 'revocation.started', 'revocation.succeeded'],
    );
    assert.ok(trail.every((record) => record.actor?.aadObjectId === uma.id && record.target?.id === adele.id));
  });

  it('when confirmations hit both instances at once, then exactly one revoke happens and every click gets a truthful answer', async function () {
    const { teams, directory, graph } = scale.e2e.cloud;
    const uma = directory.user('uma');
    const alex = directory.user('alex');
    const chat = teams.personalChat(uma);
    scale.route(0);
    const card = await sendForCard(teams, uma, chat, `revoke ${alex.userPrincipalName}`);
    const before = graph.count(GRAPH_ROUTES.revoke);
    const validFromBefore = alex.signInSessionsValidFromDateTime;
    // Slow Graph a little, so the losers arrive while the winner is still revoking.
    graph.injectFault({ route: GRAPH_ROUTES.revoke, latencyInMs: 400, times: 1 });
    const hitsBefore = scale.balancer.hits.length;
    scale.route('round-robin');
    const clicks = await Promise.all([1, 2, 3, 4].map(() => teams.click(uma, card, 'Revoke sessions')));
    for (const c of clicks) assert.match(textOf(c.card), /Sessions revoked|Revoking sessions/, textOf(c));
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1, 'exactly one revoke');
    assert.notEqual(alex.signInSessionsValidFromDateTime, validFromBefore);
    const actions = scale.balancer.hits.slice(hitsBefore).filter((hit) => hit.name === 'adaptiveCard/action');
    assert.ok(
      actions.some((hit) => hit.backend === 0) && actions.some((hit) => hit.backend === 1),
      `card actions reached both instances: ${JSON.stringify(actions)}`,
    );
    const requestId = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(card.card))?.[1];
    const records = await (await scale.store()).audit.list({ requestId });
    assert.equal(records.filter((record) => record.action === 'revocation.started').length, 1);
    assert.equal(records.filter((record) => record.action === 'revocation.succeeded').length, 1);
  });
});
