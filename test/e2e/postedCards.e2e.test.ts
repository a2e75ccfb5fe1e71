/**
 * Cards already posted in Teams keep working after the bot changes: a card's Action.Execute data
 * once named its subject `requestId`; new cards say `subjectId`, and a click from an old card is
 * still understood.
 */
import assert from 'node:assert/strict';
import { VERB } from '../../src/cards/verbs';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { requestIdOf, sendForCard, textOf } from '../helpers/flows';

describe('cards already posted in Teams, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a card is posted now, then its actions carry subjectId and never the old requestId', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${directory.user('lee.gu').userPrincipalName}`);
    assert.match(textOf(card.card), /"subjectId":"[0-9a-f-]{36}"/);
    assert.doesNotMatch(textOf(card.card), /"requestId"/);
  });

  it('when a card posted before the rename is clicked (data.requestId), then it still refreshes and confirms, revoking once', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const alex = directory.user('alex');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, `revoke ${alex.userPrincipalName}`);
    const requestId = requestIdOf(card.card);
    const click = (verb: string): ReturnType<typeof teams.postActivity> =>
      teams.postActivity(
        teams.invokeActivityFor(uma, chat, card, 'adaptiveCard/action', {
          action: { type: 'Action.Execute', verb, data: { requestId } },
          trigger: 'manual',
        }),
      );
    const refreshed = await click(VERB.refresh);
    assert.match(textOf(refreshed.body), /Revoke sessions/, textOf(refreshed.body));
    const before = graph.count(GRAPH_ROUTES.revoke);
    const confirmed = await click(VERB.confirm);
    assert.match(textOf(confirmed.body), /Sessions revoked/, textOf(confirmed.body));
    assert.equal(graph.count(GRAPH_ROUTES.revoke) - before, 1);
  });
});
