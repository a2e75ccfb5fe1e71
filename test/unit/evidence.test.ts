/**
 * The evidence features' own rules, without a network: the sign-in verdict and its window, error
 * codes in words, the $filter that goes on the wire, the "can I?" advice, which methods may be
 * removed and which ticks count, Graph's licence and permission codes, and the sign-in check use
 * case (audit records, refusals) with the one clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { AuditTrail } from '../../src/app/auditTrail';
import { SignInChecks } from '../../src/app/evidence/signInChecks';
import type { EvidenceGateway } from '../../src/app/ports/evidence';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { containmentFrom } from '../../src/bot/containmentChoice';
import { describeMethod, isRecent, leftAfterRemoving, removableIndexes, type AuthMethod } from '../../src/domain/authMethods';
import { signInsFilter } from '../../src/domain/odata';
import { adviseRevoke } from '../../src/domain/revokeAdvice';
import { createRequest, planContainment, type RevocationRequest } from '../../src/domain/revocationRequest';
import { ROLE_TEMPLATE_ID as R, roleDisplayName } from '../../src/domain/roles';
import { judgeSignIns, signInErrorWords, type SignInEvent } from '../../src/domain/signInEvidence';
import { deletePath, toAuthMethod } from '../../src/graph/graphAuthMethods';
import { failureFromResponse } from '../../src/graph/graphErrors';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { ManualClock } from '../helpers/clock';
import { FakeDirectory } from '../helpers/fakeDirectory';

const ADELE = '6e7b768e-07e2-4810-8459-485f84f8f204';
const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA = { tenantId: TENANT, aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99', name: 'Uma Useradmin' };
const HOUR = 3_600_000;

function event(at: string, errorCode = 0, userId = ADELE): SignInEvent {
  return { id: `${at}-${errorCode}`, at, userId, errorCode };
}

const role = (templateId: string): { templateId: string; displayName: string } => ({
  templateId,
  displayName: roleDisplayName(templateId)!,
});

describe('evidence of containment: the rules', function () {
  let sandbox: sinon.SinonSandbox;

  beforeEach(function () {
    sandbox = sinon.createSandbox();
  });

  afterEach(function () {
    sandbox.restore();
  });

  describe('the sign-in verdict', function () {
    const revokedAt = new Date('2026-11-22T10:00:00.700Z');
    const judge = (events: SignInEvent[], truncated = false) =>
      judgeSignIns({
        userId: ADELE,
        events,
        revokedAt,
        checkedAt: new Date('2026-11-22T10:20:00Z'),
        maxAccessTokenLifetimeInMs: 90 * 60_000,
        truncated,
      });

    it('when nothing happened since the revoke, then the verdict is "none" and the residual window ends 90 minutes after it', function () {
      const evidence = judge([]);
      assert.equal(evidence.verdict, 'none');
      assert.equal(evidence.residualWindowEndsAt, '2026-11-22T11:30:00.700Z');
      assert.equal(evidence.since, '2026-11-22T09:55:00.700Z');
    });

    it('when only failures followed, then "failedOnly"; one success makes it "succeeded"; newest first', function () {
      assert.equal(judge([event('2026-11-22T10:05:00Z', 50126)]).verdict, 'failedOnly');
      const evidence = judge([event('2026-11-22T10:05:00Z', 50126), event('2026-11-22T10:07:00Z'), event('2026-11-22T10:09:00Z')]);
      assert.equal(evidence.verdict, 'succeeded');
      assert.deepEqual(
        evidence.successes.map((e) => e.at),
        ['2026-11-22T10:09:00Z', '2026-11-22T10:07:00Z'],
      );
      assert.equal(evidence.failures.length, 1);
    });

    it('a sign-in in the revoke’s own second counts as after it (Graph stamps to the second); one in the margin before is shown apart, never counted', function () {
      const evidence = judge([event('2026-11-22T10:00:00Z'), event('2026-11-22T09:58:00Z'), event('2026-11-22T09:40:00Z')]);
      assert.equal(evidence.successes.length, 1);
      assert.equal(evidence.justBefore, 1);
    });

    it('rows of other users, or with a time that does not parse, are ignored', function () {
      const evidence = judge([event('2026-11-22T10:05:00Z', 0, 'someone-else'), { ...event('2026-11-22T10:05:00Z'), at: 'yesterday' }]);
      assert.equal(evidence.verdict, 'none');
    });

    it('error codes are in words; unknown ones keep Graph’s reason and the number', function () {
      assert.equal(signInErrorWords(50126), 'wrong user name or password');
      assert.equal(signInErrorWords(50053), 'account locked (too many attempts, or a sign-in from a known malicious IP address)');
      assert.equal(signInErrorWords(53003), 'blocked by Conditional Access');
      assert.equal(signInErrorWords(50057), 'account disabled');
      assert.equal(signInErrorWords(99999, 'Something odd.'), 'error 99999: Something odd');
      assert.equal(signInErrorWords(99999), 'error 99999');
    });
  });

  describe('the query on the wire', function () {
    it('filters on the user’s object id and an unquoted UTC time, percent-encoded, so nothing in it can end the option', function () {
      assert.equal(
        signInsFilter('6E7B768E-07E2-4810-8459-485F84F8F204', new Date('2026-11-22T09:55:00.700Z')),
        'userId%20eq%20%276e7b768e-07e2-4810-8459-485f84f8f204%27%20and%20createdDateTime%20ge%202026-11-22T09%3A55%3A00Z',
      );
      assert.equal(
        decodeURIComponent(signInsFilter(ADELE, new Date('2026-11-22T09:55:00Z'))!),
        `userId eq '${ADELE}' and createdDateTime ge 2026-11-22T09:55:00Z`,
      );
    });

    it('odata injection: a user id that is no object id, or a time that is no time, builds no query at all', function () {
      assert.equal(signInsFilter("x' or userId ne 'y", new Date()), undefined);
      assert.equal(signInsFilter(ADELE, new Date('not a time')), undefined);
    });
  });

  describe('"can I?"', function () {
    const grace = { roles: [role(R.GlobalAdministrator)], inRoleAssignableGroup: false, self: false };
    const adele = { roles: [], inRoleAssignableGroup: false, self: false };

    it('when one of the requester’s roles allows it, then the least powerful such role is named', function () {
      assert.deepEqual(adviseRevoke([R.GlobalAdministrator, R.UserAdministrator], undefined, adele), {
        kind: 'can',
        via: role(R.UserAdministrator),
      });
    });

    it('when none does, then the roles that would are listed, and those the requester could activate in PIM', function () {
      const advice = adviseRevoke([R.UserAdministrator], [R.PrivilegedAuthenticationAdministrator, R.HelpdeskAdministrator], grace);
      assert.deepEqual(advice, {
        kind: 'cannot',
        needed: [role(R.PrivilegedAuthenticationAdministrator), role(R.GlobalAdministrator)],
        eligible: [role(R.PrivilegedAuthenticationAdministrator)],
      });
    });

    it('a Password Administrator cannot revoke anyone; a member of a role-assignable group needs a privileged role; one’s own sessions always', function () {
      assert.equal(adviseRevoke([R.PasswordAdministrator], undefined, adele).kind, 'cannot');
      assert.equal(adviseRevoke([R.UserAdministrator], undefined, { ...adele, inRoleAssignableGroup: true }).kind, 'cannot');
      assert.deepEqual(adviseRevoke([], undefined, { ...adele, self: true }), { kind: 'self' });
    });
  });

  describe('sign-in methods', function () {
    const now = new Date('2026-11-22T10:00:00Z');
    const items: AuthMethod[] = [
      { id: '28c10230-6103-485e-b985-444c60001490', kind: 'password' },
      {
        id: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
        kind: 'phone',
        detail: '+234 8035550199 (alternate mobile)',
        createdAt: '2026-11-21T09:00:00Z',
      },
      { id: 'a1', kind: 'microsoftAuthenticator', detail: 'Pixel 8', createdAt: '2026-05-01T09:00:00Z' },
    ];

    it('marks methods registered within the last days, never those without a date', function () {
      assert.equal(isRecent(items[1]!, now, 7), true);
      assert.equal(isRecent(items[2]!, now, 7), false);
      assert.equal(isRecent(items[0]!, now, 7), false);
      assert.equal(describeMethod(items[1]!), 'Phone +234 8035550199 (alternate mobile)');
    });

    it('never offers the password; removing every other method leaves none to sign in with', function () {
      assert.deepEqual(removableIndexes(items, [0, 1, 1, 7]), [1]);
      assert.equal(leftAfterRemoving(items, [1]), 'some');
      assert.equal(leftAfterRemoving(items, [1, 2]), 'none');
    });

    it('reads Graph’s method types; a method whose id could not go into a path is never removable, and the password has no DELETE path', function () {
      const phone = toAuthMethod({
        '@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
        id: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
        phoneNumber: '+1 5550100',
        phoneType: 'mobile',
        createdDateTime: '2026-11-21T09:00:00Z',
      });
      assert.deepEqual(phone, {
        id: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
        kind: 'phone',
        detail: '+1 5550100 (mobile)',
        createdAt: '2026-11-21T09:00:00Z',
      });
      assert.equal(
        deletePath(`/users/${ADELE}`, phone),
        `/users/${ADELE}/authentication/phoneMethods/b6332ec1-7057-4abe-9331-3d72feddfe41`,
      );
      const forged = toAuthMethod({ '@odata.type': '#microsoft.graph.phoneAuthenticationMethod', id: '../../users/x' });
      assert.equal(forged?.kind, 'other');
      assert.equal(deletePath(`/users/${ADELE}`, forged), undefined);
      assert.equal(deletePath(`/users/${ADELE}`, items[0]!), undefined);
    });

    it('ticks count only on the list the request holds, and only for removable methods; nothing for one’s own sessions', function () {
      const request: RevocationRequest = {
        ...createRequest({
          id: 'r1',
          requester: UMA,
          target: {
            id: ADELE,
            displayName: 'Adele Vance',
            userPrincipalName: 'adele@contoso.com',
            userType: 'Member',
            accountEnabled: true,
            tier: 'nonAdmin',
            roles: [],
          },
          now,
          ttlInMs: HOUR,
        }),
        methods: { key: 'k1', readAt: now.toISOString(), items },
      };
      const ticked = containmentFrom({
        removeMethod_k1_1: 'true',
        removeMethod_k1_0: 'true',
        removeMethod_k1_2: 'false',
        confirmCompromised: 'true',
      });
      assert.deepEqual(ticked, {
        disableAccount: false,
        resetPassword: false,
        disableDevices: false,
        confirmCompromised: true,
        removeMethods: [0, 1],
        methodsKey: 'k1',
      });
      assert.deepEqual(planContainment(request, ticked).containment?.removeMethods, [1], 'the password is never planned');
      const stale = containmentFrom({ removeMethod_old_1: 'true' });
      assert.equal(planContainment(request, stale), request, 'ticks on an older list change nothing');
      assert.equal(planContainment({ ...request, target: { ...request.target, self: true } }, ticked).containment, undefined);
      assert.equal(containmentFrom({ removeMethod_k1_x: 'true', 'removeMethod_k1_1;drop': 'true' }), undefined);
    });
  });

  describe('Graph’s answers', function () {
    const headers = { get: (): null => null };
    it('a tenant without the licence is "not licensed", not "forbidden"; a token without the permission is a consent problem', function () {
      const body = (code: string, message = 'x') => ({ error: { code, message } });
      assert.equal(failureFromResponse(403, headers, body('Authentication_RequestFromNonPremiumTenantOrB2CTenant')).code, 'not_licensed');
      assert.equal(failureFromResponse(400, headers, body('AadPremiumLicenseRequired')).code, 'not_licensed');
      assert.equal(
        failureFromResponse(403, headers, body('Forbidden', 'Your tenant is not licensed for this feature.')).code,
        'not_licensed',
      );
      assert.equal(failureFromResponse(403, headers, body('Authentication_MSGraphPermissionMissing')).code, 'consent_required');
      assert.equal(failureFromResponse(403, headers, body('Authentication_RequestFromUnsupportedUserRole')).code, 'forbidden');
      assert.equal(failureFromResponse(403, headers, body('Authorization_RequestDenied')).code, 'forbidden');
    });
  });

  describe('the sign-in check', function () {
    let dir: string;
    let storage: SqliteStorage;
    let audit: AuditTrail;
    let clock: ManualClock;

    beforeEach(function () {
      dir = mkdtempSync(path.join(tmpdir(), 'revoker-evidence-'));
      clock = new ManualClock('2026-11-22T10:20:00Z');
      storage = openSqliteStorage({ dataDir: dir, clock });
      audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    });

    afterEach(async function () {
      await audit.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function gateway(events: SignInEvent[]): EvidenceGateway & { listSignIns: sinon.SinonStub } {
      return {
        listSignIns: sandbox.stub().resolves({ ok: true, value: { events, truncated: false } }),
        listSignInsMany: sandbox.stub().rejects(new Error('not used')),
        listAuthenticationMethods: sandbox.stub().rejects(new Error('not used')),
        myEligibleRoles: sandbox.stub().rejects(new Error('not used')),
        listRiskyUsers: sandbox.stub().rejects(new Error('not used')),
        riskOf: sandbox.stub().rejects(new Error('not used')),
      };
    }

    async function store(request: RevocationRequest): Promise<void> {
      await storage.state.create(NAMESPACE.requests, request.id, request, { expiresAt: new Date(clock.now().getTime() + HOUR) });
    }

    function revoked(outcome: Partial<Extract<NonNullable<RevocationRequest['outcome']>, { kind: 'revoked' }>>): RevocationRequest {
      const base = createRequest({
        id: 'r2',
        requester: UMA,
        target: {
          id: ADELE,
          displayName: 'Adele Vance',
          userPrincipalName: 'adele@contoso.com',
          userType: 'Member',
          accountEnabled: true,
          tier: 'nonAdmin',
          roles: [],
        },
        now: new Date('2026-11-22T10:00:00Z'),
        ttlInMs: HOUR,
      });
      return { ...base, state: 'succeeded', outcome: { kind: 'revoked', at: '2026-11-22T10:00:03.200Z', ...outcome } };
    }

    it('reads from the revoke Entra stamped (not the time our call returned) minus the margin, judges with the one clock, and records the check', async function () {
      await store(revoked({ validFromAfter: '2026-11-22T10:00:01Z', verified: true }));
      const evidence = gateway([event('2026-11-22T10:00:02Z')]);
      const checks = new SignInChecks({ store: storage.state, audit, clock, maxAccessTokenLifetimeInMs: 60 * 60_000 });
      const outcome = await checks.checkRequest({ person: { ...UMA }, directory: new FakeDirectory(UMA.aadObjectId), evidence }, 'r2');
      assert.equal(outcome.kind, 'checked');
      assert.deepEqual(evidence.listSignIns.firstCall.args[0], { userId: ADELE, since: new Date('2026-11-22T09:55:01Z') });
      if (outcome.kind !== 'checked') return;
      assert.equal(outcome.evidence.signIns.verdict, 'succeeded', 'a success between Entra’s stamp and our answer counts');
      assert.equal(outcome.evidence.signIns.checkedAt, '2026-11-22T10:20:00.000Z');
      assert.equal(outcome.evidence.signIns.residualWindowEndsAt, '2026-11-22T11:00:01.000Z');
      const records = await storage.audit.list({ requestId: 'r2' });
      assert.deepEqual(
        records.map((r) => [r.action, r.outcome, r.actor?.aadObjectId]),
        [['signins.checked', 'ok', UMA.aadObjectId]],
      );
    });

    it('refuses a request that revoked nothing, and one of another tenant, without reading any log', async function () {
      const pending = revoked({});
      await store({ ...pending, id: 'r3', state: 'pending', outcome: undefined });
      const evidence = gateway([]);
      const checks = new SignInChecks({ store: storage.state, audit, clock, maxAccessTokenLifetimeInMs: HOUR });
      assert.deepEqual(await checks.checkRequest({ person: UMA, directory: new FakeDirectory(UMA.aadObjectId), evidence }, 'r3'), {
        kind: 'refused',
        problem: 'not_revoked',
      });
      await store(revoked({}));
      assert.deepEqual(
        await checks.checkRequest(
          { person: { ...UMA, tenantId: '11111111-1111-4111-8111-111111111111' }, directory: new FakeDirectory(UMA.aadObjectId), evidence },
          'r2',
        ),
        { kind: 'refused', problem: 'wrong_tenant' },
      );
      assert.equal(evidence.listSignIns.callCount, 0);
    });
  });
});
