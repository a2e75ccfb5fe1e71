/**
 * Alerts from security tools, end to end through the real HTTP edge and the real SDKs against
 * the emulated cloud: a Logic App's managed identity posts to /api/alerts; the card arrives in the
 * security channel once, whatever the retries; tokens that are forged, expired, for another
 * audience, from another caller or tenant, or a user's, get 401 and post nothing; a bad payload
 * gets 400; anyone in the channel may act once (the requester is the alert's source), each action
 * with the clicker's own token.
 */
import assert from 'node:assert/strict';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { systemClock } from '../../src/domain/clock';
import { openSqliteStorage } from '../../src/storage';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { startE2E, type E2E } from '../helpers/e2e';
import { textOf } from '../helpers/flows';
import { raiseDemoAlert, DEMO_ALERT_CALLER_APP_ID } from '../../demo/demoAlert';

/** The Logic App's managed identity (its client id), allowed to send alerts. */
const LOGIC_APP = 'c0ffee00-1111-4222-8333-444455556666';
/** Another managed identity in the same tenant, not on the allow-list. */
const OTHER_APP = 'deadbeef-1111-4222-8333-444455556666';

async function auditRecords(e2e: E2E): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return await storage.audit.list({ limit: 1000 });
  } finally {
    await storage.close();
  }
}

describe('alerts from security tools, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let team: Team;
  let channel: Conversation;
  let counter = 0;

  before(async function () {
    e2e = await startE2E({
      prepare: (cloud) => {
        const d = cloud.directory;
        team = cloud.teams.team('Security Operations', [d.user('grace'), d.user('sam'), d.user('rita'), d.user('uma')]);
        channel = team.channel('Security approvals');
        return { SECURITY_CHANNEL_ID: channel.id, ALERT_CALLER_APP_IDS: `${LOGIC_APP},${DEMO_ALERT_CALLER_APP_ID}`, ALERT_MAX_USERS: '3' };
      },
    });
    await e2e.cloud.teams.installBot(team, e2e.cloud.directory.user('grace'));
  });

  after(async function () {
    await e2e?.stop();
  });

  /** A managed-identity token as the Logic App gets it for the bot's API. */
  function token(options: Parameters<E2E['cloud']['entra']['issueManagedIdentityToken']>[1] & { clientId?: string } = { audience: '' }) {
    const { clientId, ...rest } = options;
    return e2e.cloud.entra.issueManagedIdentityToken(clientId ?? LOGIC_APP, {
      ...rest,
      audience: rest.audience || e2e.cloud.app.appIdUri!,
    });
  }

  async function post(
    body: unknown,
    bearer: string | undefined,
    raw?: string,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    const response = await fetch(`${e2e.bot.url}/api/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: raw ?? JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  }

  function alertBody(users: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    counter += 1;
    return {
      source: 'sentinel',
      externalId: `INC-${counter}`,
      title: 'Impossible travel for a user',
      severity: 'High',
      users,
      link: 'https://security.microsoft.com/incidents/42',
      ...extra,
    };
  }

  function alertCards(): PostedMessage[] {
    return e2e.cloud.teams.messages(channel).filter((m) => m.fromBot && textOf(m.card).includes('Security alert'));
  }

  function cardOf(id: string): PostedMessage {
    const card = alertCards().find((m) => textOf(m.card).includes(id));
    assert.ok(card, `no alert card for ${id}`);
    return card;
  }

  it('when a Logic App’s managed identity posts an alert, then one card arrives in the security channel; a retry answers 200 with the same id and posts nothing; both are audited', async function () {
    const megan = e2e.cloud.directory.user('megan.bowen');
    const body = alertBody([megan.id], { details: 'Sign-ins from two countries within an hour.' });
    const before = alertCards().length;
    const first = await post(body, await token());
    assert.equal(first.status, 201, textOf(first.body));
    const id = String(first.body.id);
    assert.equal(alertCards().length, before + 1, 'one card');
    const card = textOf(cardOf(id).card);
    assert.match(card, /Impossible travel for a user/);
    assert.match(card, /Microsoft Sentinel/);
    assert.match(card, new RegExp(megan.id));
    assert.match(card, /Revoke sessions/);
    const again = await post(body, await token());
    assert.equal(again.status, 200, textOf(again.body));
    assert.equal(again.body.id, id);
    assert.equal(again.body.cardId, first.body.cardId);
    assert.equal(again.body.duplicate, true);
    // Two deliveries at once are one card too.
    const racing = alertBody([megan.id]);
    const [a, b] = await Promise.all([post(racing, await token()), post(racing, await token())]);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.body.id, b.body.id);
    assert.equal(alertCards().length, before + 2, 'a retry and a racing delivery post nothing');
    const records = (await auditRecords(e2e)).filter((r) => r.requestId === id && r.action === 'alert.received');
    assert.deepEqual(records.map((r) => r.outcome).sort(), ['info', 'ok']);
  });

  it('Sentinel’s account entities (AadUserId, or Name and UPNSuffix) are accepted as the users', async function () {
    const alex = e2e.cloud.directory.user('alex');
    const [name, suffix] = alex.userPrincipalName.split('@');
    const answer = await post(
      { ...alertBody([]), users: undefined, accounts: [{ AadUserId: alex.id }, { Name: name, UPNSuffix: suffix, AadUserId: null }] },
      await token(),
    );
    assert.equal(answer.status, 201, textOf(answer.body));
    const card = textOf(cardOf(String(answer.body.id)).card);
    assert.match(card, new RegExp(alex.id));
    assert.match(card, new RegExp(alex.userPrincipalName.toLowerCase().replace('.', '\\.')));
  });

  it('the demo’s /alert raises a Sentinel-style alert as the demo playbook’s identity, and its card arrives in the security channel', async function () {
    const before = alertCards().length;
    const raised = await raiseDemoAlert(e2e.cloud, 'connie', 'Impossible travel (demo)', e2e.bot.url);
    assert.equal(raised.status, 201, raised.said);
    assert.match(raised.said, /Security approvals/);
    assert.equal(alertCards().length, before + 1);
    assert.match(textOf(alertCards().at(-1)?.card), /Impossible travel \(demo\)/);
  });

  describe('token attacks: every one gets 401 before the body is read, and nothing is posted', function () {
    const attacks: [string, () => Promise<string | undefined>][] = [
      ['no token at all', async () => undefined],
      ['a forged signature (an unpublished key under the genuine kid)', () => token({ audience: '', forge: true })],
      ['an expired token', () => token({ audience: '', expired: true })],
      ['a token for another audience (Microsoft Graph)', () => token({ audience: 'https://graph.microsoft.com' })],
      ['a token from a caller not on ALERT_CALLER_APP_IDS', () => token({ audience: '', clientId: OTHER_APP })],
      ['a token from another tenant', () => token({ audience: '', tenantId: 'f0000000-0000-4000-8000-00000000000f' })],
      [
        'a user’s delegated token for the bot (Teams SSO)',
        () => e2e.cloud.entra.issueSsoToken(e2e.cloud.directory.user('grace').id, { appId: e2e.cloud.app.appId, audience: 'appIdUri' }),
      ],
      ['a token that is not a JWT', async () => 'not-a-jwt'],
    ];
    for (const [attack, make] of attacks) {
      it(`token attack: ${attack}`, async function () {
        const before = alertCards().length;
        // Not even JSON: a 400 would show the body was read before the caller was known.
        const answer = await post(undefined, await make(), '{"source": "sentinel", broken');
        assert.equal(answer.status, 401, textOf(answer.body));
        const valid = await post(alertBody([e2e.cloud.directory.user('megan.bowen').id]), await make());
        assert.equal(valid.status, 401, textOf(valid.body));
        assert.equal(alertCards().length, before, 'nothing posted');
      });
    }

    it('a refused token is audited as alert.refused with why (a flood of them is coalesced into one summary per window)', async function () {
      const refusals = (await auditRecords(e2e)).filter((r) => r.action === 'alert.refused');
      assert.ok(
        refusals.some((r) => /^token_(signature|expired|audience|caller_not_allowed|tenant|not_app_token|malformed)$/.test(r.code ?? '')),
        textOf(refusals),
      );
    });
  });

  describe('payload attacks and mistakes', function () {
    const mistakes: [string, Record<string, unknown>, RegExp][] = [
      ['no source', { externalId: 'X-1', title: 't', severity: 'high', users: ['a@contoso.com'] }, /"source" must be one of/],
      [
        'an unknown severity',
        { source: 'custom', externalId: 'X-2', title: 't', severity: 'apocalyptic', users: ['a@contoso.com'] },
        /"severity"/,
      ],
      ['no user', { source: 'custom', externalId: 'X-3', title: 't', severity: 'low', users: [] }, /names no user/],
      [
        'a weak identifier (a name alone)',
        { source: 'custom', externalId: 'X-4', title: 't', severity: 'low', accounts: [{ Name: 'admin' }] },
        /neither an Entra object id/,
      ],
      [
        'a javascript: link',
        { source: 'custom', externalId: 'X-5', title: 't', severity: 'low', users: ['a@contoso.com'], link: 'javascript:alert(1)' },
        /https URL/,
      ],
      [
        'more users than ALERT_MAX_USERS',
        { source: 'custom', externalId: 'X-6', title: 't', severity: 'low', users: ['a@c.com', 'b@c.com', 'c@c.com', 'd@c.com'] },
        /Too many users: at most 3/,
      ],
    ];
    for (const [what, body, reason] of mistakes) {
      it(`bad payload: when it has ${what}, then 400 with a one-line reason and nothing posted`, async function () {
        const before = alertCards().length;
        const answer = await post(body, await token());
        assert.equal(answer.status, 400, textOf(answer.body));
        assert.match(String(answer.body.error), reason);
        assert.doesNotMatch(String(answer.body.error), /\n/);
        assert.equal(alertCards().length, before);
      });
    }

    it('credential smuggling: when the alert’s details carry a JWT, then 400 says so, nothing is stored or posted, and no token reaches the logs', async function () {
      const before = alertCards().length;
      const jwt = await token();
      const answer = await post(alertBody([e2e.cloud.directory.user('megan.bowen').id], { details: `seen token ${jwt}` }), await token());
      assert.equal(answer.status, 400, textOf(answer.body));
      assert.match(String(answer.body.error), /looks like a credential/);
      assert.equal(alertCards().length, before);
      assert.ok(!e2e.logs.join('').includes(jwt), 'the token is not logged');
    });

    it('oversized body: when the alert is larger than 64 kB, then 413 and nothing posted', async function () {
      const before = alertCards().length;
      const answer = await post(alertBody(['a@contoso.com'], { details: 'x'.repeat(70 * 1024) }), await token());
      assert.equal(answer.status, 413);
      assert.equal(alertCards().length, before);
    });
  });

  describe('acting on an alert: anyone in the channel with a role, once, with their own token', function () {
    it('when a reader without the role clicks Revoke sessions, then Graph refuses their token and the alert stays open; two approvers clicking at once reach Graph once, with the winner’s token, and everyone’s card says who did it', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const megan = directory.user('megan.bowen');
      const answer = await post(alertBody([megan.id]), await token());
      const message = cardOf(String(answer.body.id));
      const revokes = (): { caller?: string }[] => graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke);
      const before = revokes().length;
      const rita = directory.user('rita');
      const refused = await teams.click(rita, message, 'Revoke sessions', { signIn: true });
      assert.equal(refused.status, 200, textOf(refused));
      assert.match(textOf(refused.card ?? refused.body), /did not go through|roles do not allow/, textOf(refused));
      assert.equal(revokes().length, before + 1, 'Rita’s attempt reached Graph with her token and was refused');
      assert.equal(revokes().at(-1)?.caller, rita.id);
      // Two approvers click at once: exactly one action wins and reaches Graph.
      const grace = directory.user('grace');
      const uma = directory.user('uma');
      const [byGrace, byUma] = await Promise.all([
        teams.click(grace, message, 'Revoke sessions', { signIn: true }),
        teams.click(uma, message, 'Revoke sessions', { signIn: true }),
      ]);
      assert.equal(revokes().length, before + 2, `never twice: ${textOf([byGrace, byUma])}`);
      const winner = revokes().at(-1)?.caller === grace.id ? grace : uma;
      assert.ok([grace.id, uma.id].includes(revokes().at(-1)?.caller ?? ''), 'the clicker’s own token');
      const final = textOf(teams.messages(channel).find((m) => m.id === message.id)?.card);
      // Everyone's card says who did what.
      assert.match(final, new RegExp(`${winner.displayName} chose to revoke sessions`), final);
      assert.match(final, /Sessions revoked: Megan/);
      const records = (await auditRecords(e2e)).filter((r) => r.requestId === answer.body.id);
      assert.ok(records.some((r) => r.action === 'approval.approved' && r.actor?.aadObjectId === winner.id));
      assert.ok(
        records.some((r) => r.action === 'revocation.succeeded' && r.target?.id === megan.id && r.actor?.aadObjectId === winner.id),
      );
      assert.ok(
        records.some((r) => r.action === 'approval.requested' && (r.actor?.aadObjectId ?? '').startsWith('alert:')),
        'the requester is the alert source',
      );
    });

    it('when an approver clicks Confirm compromised, then Identity Protection is told once, with their token, for the user the UPN names', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const alex = directory.user('alex');
      const answer = await post(alertBody([alex.userPrincipalName]), await token());
      const message = cardOf(String(answer.body.id));
      const confirms = (): { caller?: string }[] => graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.confirmCompromised);
      const before = confirms().length;
      const sam = directory.user('sam');
      const done = await teams.click(sam, message, 'Confirm compromised', { signIn: true });
      assert.match(textOf(done.card), /Confirmed compromised in Identity Protection: Alex/, textOf(done));
      assert.equal(confirms().length, before + 1);
      assert.equal(confirms().at(-1)?.caller, sam.id);
      assert.equal(directory.security.riskyUsers.get(alex.id)?.riskState, 'confirmedCompromised');
      assert.doesNotMatch(
        textOf(teams.messages(channel).find((m) => m.id === message.id)?.card),
        /Confirm compromised/,
        'no buttons once done',
      );
    });

    it('when an approver clicks Revoke and contain, then their token disables the account and resets the password first, then revokes, then confirms compromised', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const alex = directory.user('alex');
      const answer = await post(alertBody([alex.id]), await token());
      const message = cardOf(String(answer.body.id));
      const before = graph.server.calls.length;
      const grace = directory.user('grace');
      const done = await teams.click(grace, message, 'Revoke and contain', { signIn: true });
      assert.match(textOf(done.card), /Grace Global chose to revoke and contain/, textOf(done));
      const wire = graph.server.calls.slice(before).filter((c) => c.route !== GRAPH_ROUTES.getUser);
      assert.ok(
        wire.every((c) => c.caller === grace.id),
        'every step with the clicker’s token',
      );
      const steps = wire
        .map((c) => c.route)
        .filter((r) => ([GRAPH_ROUTES.updateUser, GRAPH_ROUTES.revoke, GRAPH_ROUTES.confirmCompromised] as string[]).includes(r));
      assert.deepEqual(steps, [GRAPH_ROUTES.updateUser, GRAPH_ROUTES.updateUser, GRAPH_ROUTES.revoke, GRAPH_ROUTES.confirmCompromised]);
      assert.equal(directory.user('alex').accountEnabled, false);
    });

    it('when an approver clicks Dismiss risk, then Identity Protection dismisses it once, with their token', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const megan = directory.user('megan.bowen');
      directory.security.riskyUsers.set(megan.id, {
        riskLevel: 'medium',
        riskState: 'atRisk',
        riskDetail: 'none',
        riskLastUpdatedDateTime: '2026-01-02T10:00:00Z',
      });
      const answer = await post(alertBody([megan.id], { source: 'identityProtection' }), await token());
      const message = cardOf(String(answer.body.id));
      const dismissals = (): { caller?: string }[] => graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.dismissRisk);
      const before = dismissals().length;
      const sam = directory.user('sam');
      const done = await teams.click(sam, message, 'Dismiss risk', { signIn: true });
      assert.match(textOf(done.card), /Risk dismissed in Identity Protection: Megan/, textOf(done));
      assert.equal(dismissals().length, before + 1);
      assert.equal(dismissals().at(-1)?.caller, sam.id);
      assert.equal(directory.security.riskyUsers.get(megan.id)?.riskState, 'dismissed');
    });

    it('when someone clicks Show details, then the users are read once with their token (roles, tier, account, last revoke, risk) and everyone’s card shows them; the actions stay open', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const megan = directory.user('megan.bowen');
      directory.security.riskyUsers.set(megan.id, {
        riskLevel: 'high',
        riskState: 'atRisk',
        riskDetail: 'none',
        riskLastUpdatedDateTime: '2026-01-02T10:00:00Z',
      });
      const answer = await post(alertBody([megan.userPrincipalName]), await token());
      const message = cardOf(String(answer.body.id));
      const before = graph.server.calls.length;
      const sam = directory.user('sam');
      const shown = await teams.click(sam, message, 'Show details', { signIn: true });
      const text = textOf(shown.card);
      assert.match(text, /Megan Bowen .* · no admin role · account enabled · .* · risk high \(atRisk\)/, text);
      assert.match(text, /Details read .* with Sam Secadmin’s sign-in/);
      assert.doesNotMatch(text, /Show details/, 'loaded once');
      assert.match(text, /Revoke sessions/, 'the actions stay open: reading decides nothing');
      const calls = graph.server.calls.slice(before);
      assert.ok(calls.some((c) => c.route === GRAPH_ROUTES.riskyUser && c.caller === sam.id));
      assert.ok(
        calls.every((c) => c.caller === sam.id),
        'every read with the clicker’s own token',
      );
      assert.match(textOf(teams.messages(channel).find((m) => m.id === message.id)?.card), /risk high \(atRisk\)/, 'everyone’s card');
    });

    it('when an approver clicks Not our case with a note, then the alert closes with it and nothing reaches Graph', async function () {
      const { teams, directory, graph } = e2e.cloud;
      const answer = await post(alertBody([directory.user('megan.bowen').id]), await token());
      const message = cardOf(String(answer.body.id));
      const before = graph.server.calls.length;
      const closed = await teams.click(directory.user('uma'), message, 'Not our case', { inputs: { note: 'Known travel, ticket 7' } });
      assert.match(textOf(closed.card), /closed it: not our case — “Known travel, ticket 7”/, textOf(closed));
      assert.equal(graph.server.calls.length, before);
    });
  });
});
