/**
 * The `risky` inbox end to end through the real SDKs against the emulated cloud: the users
 * Identity Protection has at risk, read with the sender's own token through the one OData
 * encoder, highest risk and newest first; an entry opens the person's lookup card; a tenant
 * without Entra ID P2 is told so in a sentence.
 */
import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

describe('the risky inbox, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a security administrator types risky, then the users at risk are listed highest risk first with their own token, and choosing one opens the lookup card', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const { riskyUsers } = directory.security;
    const megan = directory.user('megan.bowen');
    const alex = directory.user('alex');
    const helen = directory.user('helen');
    riskyUsers.set(megan.id, {
      riskLevel: 'medium',
      riskState: 'atRisk',
      riskDetail: 'none',
      riskLastUpdatedDateTime: '2026-01-02T10:00:00Z',
    });
    riskyUsers.set(alex.id, {
      riskLevel: 'high',
      riskState: 'atRisk',
      riskDetail: 'none',
      riskLastUpdatedDateTime: '2026-01-01T10:00:00Z',
    });
    riskyUsers.set(helen.id, {
      riskLevel: 'high',
      riskState: 'dismissed',
      riskDetail: 'adminDismissedAllRiskForUser',
      riskLastUpdatedDateTime: '2026-01-03T10:00:00Z',
    });
    const sam = directory.user('sam');
    const before = graph.server.calls.length;
    const card = await sendForCard(teams, sam, teams.personalChat(sam), 'risky');
    const text = textOf(card.card);
    assert.match(text, /Users at risk/);
    assert.ok(text.includes(alex.displayName) && text.indexOf(alex.displayName) < text.indexOf(megan.displayName), 'high before medium');
    assert.doesNotMatch(text, new RegExp(helen.displayName), 'a dismissed user is not at risk');
    const reads = graph.server.calls.slice(before).filter((c) => c.route === GRAPH_ROUTES.riskyUsers);
    assert.equal(reads.length, 1);
    assert.equal(reads[0]!.caller, sam.id, 'read with the sender’s own token');
    assert.equal(new URLSearchParams(reads[0]!.query).get('$filter'), "riskState eq 'atRisk'");
    const lookup = await teams.click(sam, card, `${alex.displayName} (${alex.userPrincipalName})`);
    assert.match(textOf(lookup.card), new RegExp(alex.userPrincipalName.replace('.', '\\.')), textOf(lookup));
  });

  it('risky without P2: when the tenant has no Entra ID P2, then the sender is told so in a sentence, not an error', async function () {
    const { teams, directory } = e2e.cloud;
    directory.security.licences.p2 = false;
    try {
      const sam = directory.user('sam');
      const card = await sendForCard(teams, sam, teams.personalChat(sam), 'risky');
      assert.match(textOf(card.card), /needs Microsoft Entra ID P2, and this tenant doesn’t have it/);
      assert.doesNotMatch(textOf(card.card), /Correlation id/);
    } finally {
      directory.security.licences.p2 = true;
    }
  });
});
