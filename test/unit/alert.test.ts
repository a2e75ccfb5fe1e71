/** The alert payload parser and the alert's own rules (src/domain/alert.ts). */
import assert from 'node:assert/strict';
import {
  completeAlert,
  expireAlertIfDue,
  newAlertCase,
  parseAlertPayload,
  type AlertPayload,
  type AlertStepResult,
} from '../../src/domain/alert';

const GUID = '5b0e1d9a-1f2b-4c3d-9e8f-0a1b2c3d4e5f';
const BASE = { source: 'sentinel', externalId: 'INC-1', title: 'Impossible travel', severity: 'High' };

function parsed(body: Record<string, unknown>, maxUsers = 10): AlertPayload {
  const result = parseAlertPayload(body, maxUsers);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

function problem(body: Record<string, unknown>, maxUsers = 10): string {
  const result = parseAlertPayload(body, maxUsers);
  assert.ok(!result.ok, 'expected a refusal');
  return result.error;
}

describe('alert payloads', function () {
  it('when Sentinel sends its account entities, then AadUserId wins, else Name@UPNSuffix; camelCase raw entities and Defender’s azureAdUserId are read too', function () {
    const alert = parsed({
      ...BASE,
      accounts: [
        { AadUserId: GUID.toUpperCase(), Name: 'adelev', UPNSuffix: 'contoso.com' },
        { Name: 'lee', UPNSuffix: 'contoso.com' },
        { accountName: 'meg', upnSuffix: 'contoso.com' },
        { azureAdUserId: '6e7b768e-07e2-4810-8459-485f84f8f204' },
      ],
    });
    assert.deepEqual(alert.users, [
      { kind: 'objectId', id: GUID },
      { kind: 'userPrincipalName', upn: 'lee@contoso.com' },
      { kind: 'userPrincipalName', upn: 'meg@contoso.com' },
      { kind: 'objectId', id: '6e7b768e-07e2-4810-8459-485f84f8f204' },
    ]);
    assert.equal(alert.severity, 'high', 'Sentinel writes High');
    assert.equal(alert.source, 'sentinel');
  });

  it('when the same user is named twice (by id in users and in accounts), then they appear once; a guest UPN is accepted', function () {
    const alert = parsed({ ...BASE, users: [GUID, 'adele_fabrikam.com#EXT#@contoso.onmicrosoft.com'], accounts: [{ AadUserId: GUID }] });
    assert.equal(alert.users.length, 2);
  });

  it('weak identifiers: when an account names only a Name (ADMIN, SYSTEM…), then the alert is refused rather than guessed', function () {
    assert.match(problem({ ...BASE, accounts: [{ Name: 'ADMIN' }] }), /User 1 is neither an Entra object id nor a user principal name/);
  });

  it('when an object id is malformed or a UPN has two @ signs, then it is refused with the user’s position', function () {
    assert.match(problem({ ...BASE, users: ['a@contoso.com', { objectId: 'not-a-guid' }] }), /User 2/);
    assert.match(problem({ ...BASE, users: ['a@b@contoso.com'] }), /User 1/);
  });

  it('user list flooding: when a list is longer than the limit, then it is refused before any entry is looked at', function () {
    const users = Array.from({ length: 100_000 }, () => ({
      get objectId(): string {
        throw new Error('an entry was read');
      },
    }));
    assert.match(problem({ ...BASE, users }, 10), /Too many users: at most 10 per alert\./);
  });

  it('link injection: when the link is javascript:, data: or http:, then it is refused; https is kept', function () {
    for (const link of ['javascript:alert(1)', 'data:text/html,x', 'http://security.microsoft.com/x'])
      assert.match(problem({ ...BASE, users: [GUID], link }), /"link" must be an https URL/);
    assert.equal(
      parsed({ ...BASE, users: [GUID], link: 'https://security.microsoft.com/incidents/1' }).link,
      'https://security.microsoft.com/incidents/1',
    );
  });

  it('when text fields carry control characters or are too long, then control characters become spaces and overlong fields are refused', function () {
    assert.equal(parsed({ ...BASE, title: 'a\u0000b\nc', users: [GUID] }).title, 'a b c');
    assert.match(problem({ ...BASE, title: 'x'.repeat(201), users: [GUID] }), /"title" must be a non-empty string of at most 200/);
    assert.match(problem({ ...BASE, details: 'x'.repeat(2001), users: [GUID] }), /"details"/);
    assert.match(problem({ ...BASE, externalId: '', users: [GUID] }), /"externalId"/);
  });

  it('when the source or severity is not one the bot knows, then the reason lists the ones it does', function () {
    assert.match(problem({ ...BASE, source: 'splunk', users: [GUID] }), /sentinel, defender, identityProtection, custom/);
    assert.match(problem({ ...BASE, severity: 'critical', users: [GUID] }), /informational, low, medium, high/);
  });
});

describe('an alert’s own rules', function () {
  const now = new Date('2026-01-01T10:00:00Z');
  const alert = {
    ...newAlertCase({ id: 'a', tenantId: 't', callerAppId: 'APP', payload: parsed({ ...BASE, users: [GUID] }), now, ttlInMs: 60_000 }),
    state: 'executing' as const,
    approval: { channelId: 'c', requestedAt: now.toISOString(), failedAttempts: [] },
    decidedBy: { tenantId: 't', aadObjectId: 'r', name: 'Rita' },
  };

  it('its requester is a system requester named after the source and the calling app', function () {
    assert.deepEqual(alert.requester, { kind: 'system', tenantId: 't', source: 'alert:app', name: 'Microsoft Sentinel (alert)' });
  });

  it('when every step failed in a way another approver may overcome (a 403), then it waits for the next approver with the attempt recorded', function () {
    const failed: AlertStepResult[] = [{ user: 'Megan', step: 'revoke', ok: false, code: 'forbidden' }];
    const next = completeAlert(alert, 'revoke', failed, now);
    assert.equal(next.state, 'awaitingApproval');
    assert.equal(next.decidedBy, undefined);
    assert.equal(next.approval?.failedAttempts[0]?.code, 'forbidden');
  });

  it('when any step succeeded, or a failure no approver can overcome (no such user), then it is done', function () {
    assert.equal(completeAlert(alert, 'revoke', [{ user: 'M', step: 'revoke', ok: true }], now).state, 'done');
    assert.equal(completeAlert(alert, 'revoke', [{ user: 'M', step: 'lookup', ok: false, code: 'not_found' }], now).state, 'done');
  });

  it('when its time has passed while it waits, then it is expired; an executing one never is', function () {
    const waiting = { ...alert, state: 'awaitingApproval' as const };
    assert.equal(expireAlertIfDue(waiting, new Date(now.getTime() + 59_999)).state, 'awaitingApproval');
    assert.equal(expireAlertIfDue(waiting, new Date(now.getTime() + 60_000)).state, 'expired');
    assert.equal(expireAlertIfDue(alert, new Date(now.getTime() + 120_000)).state, 'executing');
  });
});
