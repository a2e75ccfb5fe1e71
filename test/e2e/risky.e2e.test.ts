/**
 * The `risky` inbox end to end through the real SDKs against the emulated cloud: the users
 * Identity Protection has at risk, read with the sender's own token through the one OData
 * encoder, highest risk and newest first; an entry opens the person's lookup card; a tenant
 * without Entra ID P2 is told so in a sentence.
 */
import assert from 'node:assert/strict';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, Team } from '../../emulator/teams';
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

describe('the risky inbox in four-eyes mode, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let team: Team;
  let channel: Conversation;

  before(async function () {
    e2e = await startE2E({
      prepare: (cloud) => {
        const d = cloud.directory;
        team = cloud.teams.team('Security Operations', [d.user('sam'), d.user('grace')]);
        channel = team.channel('Security approvals');
        return { SECURITY_CHANNEL_ID: channel.id };
      },
    });
    await e2e.cloud.teams.installBot(team, e2e.cloud.directory.user('grace'));
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when an entry is sent to the security channel, then it arrives as an alert once; its sender may not act on it, another person dismisses the risk with their own token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const megan = directory.user('megan.bowen');
    directory.security.riskyUsers.set(megan.id, {
      riskLevel: 'high',
      riskState: 'atRisk',
      riskDetail: 'none',
      riskLastUpdatedDateTime: '2026-01-02T10:00:00Z',
    });
    const sam = directory.user('sam');
    const inbox = await sendForCard(teams, sam, teams.personalChat(sam), 'risky');
    assert.match(textOf(inbox.card), /Ask the security channel/);
    const sent = await teams.click(sam, inbox, 'Ask the security channel');
    assert.match(textOf(sent), /is in .* now: someone there \(not you\) may act on it/, textOf(sent));
    const again = await teams.click(sam, inbox, 'Ask the security channel');
    assert.match(textOf(again), /already waiting/, 'one alert per risk change');
    const cards = teams.messages(channel).filter((m) => m.fromBot && textOf(m.card).includes('Security alert'));
    assert.equal(cards.length, 1);
    const alert = cards[0]!;
    assert.match(textOf(alert.card), /Megan Bowen is at high risk/);
    assert.match(textOf(alert.card), /Microsoft Entra ID Protection/);
    const dismissals = (): { caller?: string }[] => graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.dismissRisk);
    const own = await teams.click(sam, alert, 'Dismiss risk', { signIn: true });
    assert.match(textOf(own), /another member of the security team has to/, textOf(own));
    assert.equal(dismissals().length, 0, 'four eyes: the sender never acts on what they sent');
    const grace = directory.user('grace');
    const done = await teams.click(grace, alert, 'Dismiss risk', { signIn: true });
    assert.match(textOf(done.card), /Risk dismissed in Identity Protection: Megan/, textOf(done));
    assert.equal(dismissals().length, 1);
    assert.equal(dismissals()[0]?.caller, grace.id);
  });
});
