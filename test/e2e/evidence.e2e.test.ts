/**
 * Evidence of containment through the real SDKs against the emulated cloud: "Check sign-ins"
 * after a revoke (clean, a success after it, a 403, no consent, no licence, a bulk run), the
 * compromised-account bundle (confirm compromised without and with Entra ID P2, removing a
 * recently added phone method, in four-eyes mode with the approver's token), and the "can I?"
 * line on the lookup card.
 */
import assert from 'node:assert/strict';
import { addBulkPopulation, type DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { PHONE_METHOD_ID } from '../../emulator/security';
import type { Conversation, PostedMessage, Team } from '../../emulator/teams';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

const ATTACKER = { ipAddress: '198.51.100.23', city: 'Lagos', countryOrRegion: 'NG' };

/** The card's text with markdown's escapes (User\\.Read\\.All) shown as Teams shows them. */
function shown(card: unknown): string {
  return textOf(card).replace(/\\\\([.\-_*[\]()#+!>|~`])/g, '$1');
}

/** Withholds consent for these permissions while `run` runs (as a tenant admin who never granted them). */
async function withoutConsentFor(e2e: E2E, permissions: string[], run: () => Promise<void>): Promise<void> {
  const { app } = e2e.cloud;
  const consented = app.consentedGraphScopes.splice(0);
  app.consentedGraphScopes.push(...consented.filter((scope) => !permissions.includes(scope)));
  try {
    await run();
  } finally {
    app.consentedGraphScopes.splice(0, app.consentedGraphScopes.length, ...consented);
  }
}

/** Looks the target up as `who` in their chat and clicks Revoke sessions with these ticks; the lookup card (now the result). */
async function revokeAs(e2e: E2E, who: DirectoryUser, target: DirectoryUser, inputs: Record<string, string> = {}): Promise<PostedMessage> {
  const { teams } = e2e.cloud;
  const card = await sendForCard(teams, who, teams.personalChat(who), `revoke ${target.userPrincipalName}`);
  const done = await teams.click(who, card, 'Revoke sessions', { inputs });
  assert.match(textOf(done.card), /Sessions revoked/, textOf(done));
  return card;
}

/** Clicks a check button and returns the evidence card posted below the clicked one. */
async function check(
  e2e: E2E,
  who: DirectoryUser,
  conversation: Conversation,
  card: PostedMessage,
  button = 'Check sign-ins',
): Promise<PostedMessage> {
  const { teams } = e2e.cloud;
  const seen = new Set(teams.messages(conversation).map((m) => m.id));
  const clicked = await teams.click(who, card, button);
  assert.equal(clicked.status, 200, textOf(clicked));
  const posted = teams.messages(conversation).filter((m) => m.fromBot && m.card && !seen.has(m.id));
  const evidence = posted.at(-1);
  assert.ok(evidence, `no evidence card after "${button}": ${textOf(clicked)}`);
  return evidence;
}

describe('evidence of containment, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('a clean check: when nobody signed in since the revoke, then the card says so, when it last looked and when the residual window ends, from one documented Graph call with the clicker’s token', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const grace = directory.user('grace');
    const megan = directory.user('megan.bowen');
    const card = await revokeAs(e2e, grace, megan);
    const result = shown(currentCard(teams, teams.personalChat(grace), card.id));
    assert.match(result, /Check sign-ins/);
    const before = graph.server.calls.length;
    const evidence = shown((await check(e2e, grace, teams.personalChat(grace), card)).card);
    assert.match(evidence, /Sign-ins since the revoke/);
    assert.match(evidence, /No sign-in since the revoke\./);
    assert.match(evidence, /Last looked/);
    assert.match(evidence, /Residual window ends/);
    assert.match(evidence, /arrive minutes late/);
    const calls = graph.server.calls.slice(before).filter((c) => c.route === GRAPH_ROUTES.signIns);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.caller, grace.id, 'read with the clicker’s own token');
    assert.equal(calls[0]!.path, '/v1.0/auditLogs/signIns');
    const query = new URLSearchParams(calls[0]!.query);
    assert.match(
      query.get('$filter') ?? '',
      new RegExp(`^userId eq '${megan.id}' and createdDateTime ge \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$`),
    );
    assert.ok(Number(query.get('$top')) <= 1000);
    const audited = e2e.logs.join('');
    assert.doesNotMatch(audited, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'no token in the logs');
  });

  it('a success after the revoke: the attacker’s sign-in from another IP is named with app, client, IP, place and interactive; failed attempts are in words; Check again shows a row that arrived late, in place', async function () {
    const { teams, directory } = e2e.cloud;
    const grace = directory.user('grace');
    const alex = directory.user('alex');
    const chat = teams.personalChat(grace);
    const card = await revokeAs(e2e, grace, alex);
    const evidenceCards = (): number => teams.messages(chat).filter((m) => textOf(m.card).includes('Sign-ins since the revoke')).length;
    const at = new Date();
    directory.security.recordSignIn(alex, {
      at,
      appDisplayName: 'OfficeHome',
      place: ATTACKER,
      errorCode: 50126,
      failureReason: 'Invalid password.',
    });
    directory.security.recordSignIn(alex, { at, appDisplayName: 'Azure Portal', place: ATTACKER, errorCode: 53003 });
    // A token refresh: in the log, but not among the interactive sign-ins Graph v1.0 lists.
    directory.security.recordSignIn(alex, { at, appDisplayName: 'Refresh Only App', place: ATTACKER, interactive: false });
    // The attacker's success, still on its way to the log.
    const late = directory.security.recordSignIn(alex, { at, appDisplayName: 'OfficeHome', place: ATTACKER, arrivalDelayInMs: 3_600_000 });
    const evidence = await check(e2e, grace, chat, card);
    const cards = evidenceCards();
    const first = shown(evidence.card);
    assert.match(first, /2 failed attempts since the revoke, none succeeded\./);
    assert.match(first, /wrong user name or password \(50126\)/);
    assert.match(first, /blocked by Conditional Access \(53003\)/);
    assert.doesNotMatch(first, /Refresh Only App/, 'Graph v1.0 lists interactive sign-ins only');
    // The row arrives.
    const index = directory.security.signIns.indexOf(late);
    directory.security.signIns[index] = { ...late, visibleAtInMs: 0 };
    const again = await teams.click(grace, evidence, 'Check again');
    const second = shown(again.card);
    assert.match(
      second,
      /A sign-in succeeded after the revoke: the password or a device may still be in the attacker’s hands — reset and disable\./,
    );
    assert.match(second, /OfficeHome · Browser · from 198\.51\.100\.23 \(Lagos, NG\) · interactive/);
    assert.match(second, /Succeeded after the revoke/);
    assert.equal(evidenceCards(), cards, 'Check again updates the card in place');
  });

  it('a 403: when the clicker holds no role that may read sign-in logs, then the card names the roles that can', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const card = await revokeAs(e2e, uma, directory.user('megan.bowman'));
    const before = graph.server.calls.length;
    const evidence = shown((await check(e2e, uma, teams.personalChat(uma), card)).card);
    assert.match(evidence, /You can’t read the sign-in logs/);
    assert.match(
      evidence,
      /Reports Reader, Security Reader, Security Operator, Security Administrator, Global Reader or Global Administrator/,
    );
    assert.match(evidence, /Privileged Identity Management/);
    const calls = graph.server.calls.slice(before).filter((c) => c.route === GRAPH_ROUTES.signIns);
    assert.deepEqual(
      calls.map((c) => c.status),
      [403],
    );
  });

  it('no consent: when the tenant has not consented to AuditLog.Read.All, then only Check sign-ins says so and names what an admin grants; nothing reaches Graph', async function () {
    const { teams, directory, graph } = e2e.cloud;
    // Someone whose session never asked for the sign-in log permission (Entra checks consent when it issues that token).
    const priya = directory.user('priya');
    await withoutConsentFor(e2e, ['AuditLog.Read.All'], async () => {
      const card = await revokeAs(e2e, priya, directory.user('lee.gu'));
      const before = graph.count(GRAPH_ROUTES.signIns);
      const evidence = shown((await check(e2e, priya, teams.personalChat(priya), card)).card);
      assert.match(evidence, /The app isn’t approved to read sign-in logs/);
      assert.match(evidence, /admin consent for AuditLog.Read.All/);
      assert.match(evidence, /Revocation and containment still work/);
      assert.equal(graph.count(GRAPH_ROUTES.signIns), before);
    });
  });

  it('no P2 licence: confirm compromised says it is not available in this tenant while the rest of the bundle runs; with P2 it raises the user’s risk; without P1 or P2 the sign-in logs are not available', async function () {
    const { teams, directory } = e2e.cloud;
    const grace = directory.user('grace');
    const rita = directory.user('rita');
    const { security } = directory;
    security.licences.p2 = false;
    try {
      const card = await revokeAs(e2e, grace, rita, { disableAccount: 'true', confirmCompromised: 'true' });
      const text = shown(currentCard(teams, teams.personalChat(grace), card.id));
      assert.match(text, /✓ Account disabled/);
      assert.match(
        text,
        /✗ Confirm the user compromised in Identity Protection: not done — not available in this tenant: Identity Protection needs Microsoft Entra ID P2/,
      );
      assert.equal(security.riskyUsers.get(rita.id), undefined);
      // Sign-in logs need P1 or P2: with P1 alone they are still there.
      security.licences.p1 = true;
      assert.match(shown((await check(e2e, grace, teams.personalChat(grace), card)).card), /No sign-in since the revoke|failed attempt/);
      security.licences.p1 = false;
      assert.match(
        shown((await check(e2e, grace, teams.personalChat(grace), card)).card),
        /Sign-in logs aren’t available in this tenant.*Microsoft Entra ID P1 or P2/,
      );
    } finally {
      security.licences.p1 = true;
      security.licences.p2 = true;
      rita.accountEnabled = true;
    }
    await revokeAs(e2e, grace, rita, { confirmCompromised: 'true' });
    assert.equal(security.riskyUsers.get(rita.id)?.riskState, 'confirmedCompromised');
    assert.equal(security.riskyUsers.get(rita.id)?.riskLevel, 'high');
  });

  it('removing a recent phone method: Review sign-in methods marks the attacker’s phone added yesterday, never offers the password, and removes what was ticked with the clicker’s token after the revoke', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const aaron = directory.user('aaron');
    const adele = directory.user('adele');
    const yesterday = new Date(Date.now() - 24 * 3600_000).toISOString();
    directory.security.addMethod(adele.id, {
      id: PHONE_METHOD_ID.alternateMobile,
      odataType: '#microsoft.graph.phoneAuthenticationMethod',
      createdDateTime: yesterday,
      properties: { phoneNumber: '+234 8035550199', phoneType: 'alternateMobile', smsSignInState: 'notAllowedByPolicy' },
    });
    const chat = teams.personalChat(aaron);
    const card = await sendForCard(teams, aaron, chat, `revoke ${adele.userPrincipalName}`);
    const reviewed = await teams.click(aaron, card, 'Review sign-in methods');
    const text = shown(reviewed.card);
    assert.match(text, /Sign-in methods/);
    assert.match(text, /Remove: Phone \+234 8035550199 \(alternate mobile\) \(⚠ added 1 day ago\)/);
    assert.match(text, /Remove: Microsoft Authenticator/);
    assert.match(text, /The password can’t be removed, only reset/);
    assert.match(text, /If you remove every method, Adele must register again/);
    const toggle = /"id":"(removeMethod_[^"]+)","title":"Remove: Phone \+234/.exec(textOf(reviewed.card))?.[1];
    assert.ok(toggle, 'the phone has a toggle');
    const before = graph.server.calls.length;
    const done = await teams.click(aaron, card, 'Revoke sessions', { inputs: { [toggle]: 'true' } });
    const result = shown(done.card);
    assert.match(result, /Sessions revoked/);
    assert.match(result, /✓ Removed: Phone \+234 8035550199 \(alternate mobile\)/);
    assert.deepEqual(
      directory.security.methodsOf(adele.id).map((m) => m.odataType.replace('#microsoft.graph.', '')),
      ['passwordAuthenticationMethod', 'microsoftAuthenticatorAuthenticationMethod'],
    );
    // The read-back that verifies the revoke runs after the answer: once the card says verified, it is on the wire too.
    await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('(verified)'), 10_000);
    const wire = graph.server.calls.slice(before).filter((c) => c.caller === aaron.id);
    assert.deepEqual(
      wire.map((c) => `${c.method} ${c.route} ${c.status}`),
      [`POST ${GRAPH_ROUTES.revoke} 200`, `DELETE ${GRAPH_ROUTES.deleteAuthenticationMethod} 204`, `GET ${GRAPH_ROUTES.getUser} 200`],
    );
    assert.equal(wire[1]!.path, `/v1.0/users/${adele.id}/authentication/phoneMethods/${PHONE_METHOD_ID.alternateMobile}`);
  });

  it('when the clicker may not read another person’s methods, then the card says which roles may, and the lookup still works', async function () {
    const { teams, directory } = e2e.cloud;
    const helen = directory.user('helen');
    const card = await sendForCard(teams, helen, teams.personalChat(helen), 'revoke alex@contoso.onmicrosoft.com');
    const reviewed = shown((await teams.click(helen, card, 'Review sign-in methods')).card);
    assert.match(
      reviewed,
      /Sign-in methods couldn’t be read: Entra refused.*Authentication Administrator, Privileged Authentication Administrator or Global Reader/,
    );
    assert.match(reviewed, /Revoke sessions/);
  });

  it('the "can I?" lines: a User Administrator looking at a Global Administrator is told why not and which eligible PIM role would do; at a non-admin, that they can; their roles are read once per session', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const eligibilityReads = graph.count(GRAPH_ROUTES.myEligibleRoles, uma.id);
    const grace = shown((await sendForCard(teams, uma, chat, 'revoke grace@contoso.onmicrosoft.com')).card);
    assert.match(
      grace,
      /You can’t: Grace is a Global Administrator; this needs Privileged Authentication Administrator or Global Administrator\./,
    );
    assert.match(
      grace,
      /You’re eligible for Privileged Authentication Administrator in Privileged Identity Management: activate it, then click Revoke sessions\./,
    );
    const adele = shown((await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com')).card);
    assert.match(adele, /You can revoke Adele’s sessions \(User Administrator\)\./);
    assert.ok(graph.count(GRAPH_ROUTES.myEligibleRoles, uma.id) - eligibilityReads <= 1, 'PIM read at most once for the session');
    const paul = directory.user('paul');
    const paulsView = shown((await sendForCard(teams, paul, teams.personalChat(paul), 'revoke adele@contoso.onmicrosoft.com')).card);
    assert.match(paulsView, /You can’t: none of your active roles can revoke sessions; this needs Helpdesk Administrator/);
  });

  it('when the tenant has not consented to PIM reading, then the "can I?" line says eligible roles were not checked and what an admin grants', async function () {
    const { teams, directory } = e2e.cloud;
    await withoutConsentFor(e2e, ['RoleEligibilitySchedule.Read.Directory'], async () => {
      // Someone whose session has not read their roles yet (it remembers them once read).
      const gus = directory.user('gus');
      const text = shown((await sendForCard(teams, gus, teams.personalChat(gus), 'revoke grace@contoso.onmicrosoft.com')).card);
      assert.match(text, /You can’t: Grace is a Global Administrator/);
      assert.match(
        text,
        /weren’t checked: the app isn’t approved for that yet; an Entra admin can grant admin consent for RoleEligibilitySchedule.Read.Directory/,
      );
    });
  });

  it('a bulk check: one Check sign-ins for the whole run reads every revoked user’s logs in JSON batches of five, one at a time, and names who signed in after the revoke', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const population = addBulkPopulation(directory, { department: 'Evidence', count: 12, privileged: 0 }).users;
    const grace = directory.user('grace');
    const chat = teams.personalChat(grace);
    const card = await sendForCard(teams, grace, chat, 'revoke department Evidence');
    await teams.click(grace, card, 'Revoke all 12');
    await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('Bulk revocation finished'), 20_000);
    const report = shown(currentCard(teams, chat, card.id));
    assert.match(report, /Check sign-ins/);
    const victim = population[3]!;
    directory.security.recordSignIn(victim, { at: new Date(), appDisplayName: 'OfficeHome', place: ATTACKER });
    directory.security.recordSignIn(population[5]!, { at: new Date(), place: ATTACKER, errorCode: 50126 });
    const batches = graph.count(GRAPH_ROUTES.batch);
    const reads = graph.count(GRAPH_ROUTES.signIns);
    // Graph's sign-in log quota: two steps of the first batch are throttled and asked again after their Retry-After.
    graph.injectFault({ route: GRAPH_ROUTES.signIns, status: 429, retryAfterInSeconds: 0.2, times: 2 });
    const evidence = shown((await check(e2e, grace, chat, card)).card);
    assert.match(evidence, /Sign-ins since the revoke: department “Evidence”/, evidence);
    assert.match(evidence, /1 of 12 users checked show a success after the revoke/);
    assert.match(evidence, new RegExp(`${victim.displayName} \\(${victim.userPrincipalName.replace('.', '\\.')}\\): 1 success`));
    assert.match(evidence, /from 198\.51\.100\.23 \(Lagos, NG\)/);
    assert.match(evidence, /"title":"Checked","value":"12"/);
    assert.equal(graph.count(GRAPH_ROUTES.batch) - batches, 3, '12 users in batches of at most 5; the two throttled ones join the last');
    assert.equal(graph.count(GRAPH_ROUTES.signIns) - reads, 14, 'one read per user, and the two throttled ones again');
    const steps = graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.signIns).slice(-14);
    assert.ok(steps.every((c) => c.caller === grace.id && c.path === '/v1.0/auditLogs/signIns'));
  });
});

describe('the compromised-account bundle in four-eyes mode, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let team: Team;
  let channel: Conversation;

  before(async function () {
    e2e = await startE2E({
      prepare: (cloud) => {
        const d = cloud.directory;
        team = cloud.teams.team('Security Operations', [d.user('priya'), d.user('grace'), d.user('uma')]);
        channel = team.channel('Revocation approvals');
        return { SECURITY_CHANNEL_ID: channel.id };
      },
    });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('the approval card lists the chosen steps, and the approver’s token runs every one: disable and reset first, then the revoke, then confirm compromised and the method removal', async function () {
    const { teams, directory, graph } = e2e.cloud;
    // Priya (Privileged Authentication Administrator) asks and reviews the methods; Grace approves.
    const priya = directory.user('priya');
    const grace = directory.user('grace');
    const connie = directory.user('connie');
    await teams.installBot(team, grace);
    const chat = teams.personalChat(priya);
    const card = await sendForCard(teams, priya, chat, `revoke ${connie.userPrincipalName}`);
    const reviewed = await teams.click(priya, card, 'Review sign-in methods');
    const toggle = /"id":"(removeMethod_[^"]+)","title":"Remove: Phone \+234/.exec(textOf(reviewed.card))?.[1];
    assert.ok(toggle, textOf(reviewed.card));
    assert.match(shown(reviewed.card), /⚠ added 1 day ago/);
    const requested = await teams.click(priya, card, 'Request revocation', {
      inputs: { disableAccount: 'true', resetPassword: 'true', confirmCompromised: 'true', [toggle]: 'true', reason: 'INC-9' },
    });
    const approval = teams
      .messages(channel)
      .filter((m) => m.fromBot && m.card && textOf(m.card).includes('Connie Compromised'))
      .at(-1);
    assert.ok(approval, textOf(requested));
    assert.match(
      shown(approval.card),
      /Also requested: disable the account, reset the password, confirm the user compromised in Identity Protection, remove Phone \+234 8035550199 \(alternate mobile\)\./,
    );
    // Teams refreshes the card to the approver's own view, which has the buttons.
    assert.match(textOf((await teams.refresh(grace, approval))?.card), /Approve and revoke/);
    const before = graph.server.calls.length;
    const approved = await teams.click(grace, approval, 'Approve and revoke', { signIn: true });
    assert.match(shown(approved.card), /Approved — sessions revoked/, textOf(approved));
    const wire = graph.server.calls.slice(before).filter((c) => c.route !== GRAPH_ROUTES.getUser);
    assert.ok(
      wire.every((c) => c.caller === grace.id),
      'every step with the approver’s token',
    );
    assert.deepEqual(
      wire.map((c) => `${c.route} ${c.status}`),
      [
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.updateUser} 204`,
        `${GRAPH_ROUTES.revoke} 200`,
        `${GRAPH_ROUTES.confirmCompromised} 204`,
        `${GRAPH_ROUTES.deleteAuthenticationMethod} 204`,
      ],
    );
    const text = shown(approved.card);
    assert.match(text, /✓ Account disabled/);
    assert.match(text, /✓ Confirmed compromised in Identity Protection \(risk: high\)/);
    assert.match(text, /✓ Removed: Phone \+234 8035550199 \(alternate mobile\)/);
    // The attacker tried again at the revoke: the account was already disabled.
    const evidence = await check(e2e, grace, channel, approval);
    assert.match(shown(evidence.card), /1 failed attempt since the revoke, none succeeded\./);
    assert.match(shown(evidence.card), /account disabled \(50057\)/);
  });
});
