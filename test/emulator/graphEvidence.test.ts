/**
 * The emulated Graph's evidence operations, called through the real Graph JS client: the sign-in
 * log (permission, licence, roles, $filter on userId and createdDateTime, interactive rows only,
 * the arrival delay, $top up to 1,000), confirmCompromised (P2), authentication methods (who may
 * list and delete whose, the password and the default method) and PIM eligibility (P2).
 */
import assert from 'node:assert/strict';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { signInsFilter } from '../../src/domain/odata';
import {
  COMPROMISED_USER_ID,
  DEFAULT_USER_ROLE,
  DEMO_TENANT_ID,
  ROLE,
  seedDirectory,
  type Directory,
  type DirectoryUser,
} from '../../emulator/directory';
import { EmulatedGraph } from '../../emulator/graph';
import { PHONE_METHOD_ID } from '../../emulator/security';
import { epochSeconds, SigningKeySet } from '../../emulator/signingKeys';
import type { PemPair } from '../../emulator/tls';
import { testTls } from '../helpers/tls';

const APP = '11111111-2222-4333-8444-555555555555';
const ELIGIBILITY = "/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')";

function refusedWith(status: number, code: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof GraphError, String(error));
    assert.equal(error.statusCode, status);
    assert.equal(error.code, code);
    return true;
  };
}

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
}

describe('emulated Microsoft Graph: evidence of containment', function () {
  let tls: PemPair;
  let keys: SigningKeySet;
  let directory: Directory;
  let graph: EmulatedGraph;
  let now: Date;

  before(async function () {
    tls = (await testTls()).server;
    keys = await SigningKeySet.create();
  });

  beforeEach(async function () {
    now = new Date('2026-11-22T10:00:00Z');
    directory = seedDirectory(DEMO_TENANT_ID, 'contoso.onmicrosoft.com', now);
    graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys, now: () => now });
  });

  afterEach(async function () {
    await graph.stop();
  });

  async function clientFor(user: DirectoryUser, scopes: string): Promise<Client> {
    const issued = epochSeconds();
    const token = await keys.sign({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${DEMO_TENANT_ID}/`,
      iat: issued,
      nbf: issued,
      exp: issued + 3600,
      appid: APP,
      tid: DEMO_TENANT_ID,
      oid: user.id,
      scp: scopes,
      wids: [...user.roles, DEFAULT_USER_ROLE],
      idtyp: 'user',
      ver: '1.0',
    });
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    return Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] }),
      baseUrl: graph.endpoint,
      defaultVersion: 'v1.0',
      customHosts: new Set(['127.0.0.1']),
    });
  }

  function signInsOf(client: Client, user: DirectoryUser, since: Date, top?: number): Promise<Page> {
    const request = client.api('/auditLogs/signIns').filter(signInsFilter(user.id, since)!);
    return (top === undefined ? request : request.top(top)).get() as Promise<Page>;
  }

  describe('GET /auditLogs/signIns', function () {
    it('lists the interactive sign-ins of the user since the time asked, newest first, with status, IP and place', async function () {
      const sam = await clientFor(directory.user('sam'), 'AuditLog.Read.All');
      const adele = directory.user('adele');
      const place = { ipAddress: '198.51.100.23', city: 'Lagos', countryOrRegion: 'NG' };
      directory.security.recordSignIn(adele, { at: new Date('2026-11-22T08:00:00Z') });
      directory.security.recordSignIn(adele, { at: new Date('2026-11-22T09:30:00Z'), place, errorCode: 50126 });
      directory.security.recordSignIn(adele, { at: new Date('2026-11-22T09:40:00Z'), place });
      directory.security.recordSignIn(adele, { at: new Date('2026-11-22T09:41:00Z'), place, interactive: false });
      directory.security.recordSignIn(directory.user('alex'), { at: new Date('2026-11-22T09:45:00Z') });
      const page = await signInsOf(sam, adele, new Date('2026-11-22T09:00:00Z'));
      assert.deepEqual(
        page.value.map((r) => [
          r.createdDateTime,
          (r.status as { errorCode: number }).errorCode,
          r.ipAddress,
          (r.location as { city: string }).city,
        ]),
        [
          ['2026-11-22T09:40:00Z', 0, '198.51.100.23', 'Lagos'],
          ['2026-11-22T09:30:00Z', 50126, '198.51.100.23', 'Lagos'],
        ],
      );
      assert.ok(page.value.every((r) => r.userId === adele.id && r.isInteractive === true));
    });

    it('a row appears only once the log’s arrival delay has passed', async function () {
      const sam = await clientFor(directory.user('sam'), 'AuditLog.Read.All');
      const adele = directory.user('adele');
      directory.security.signInArrivalDelayInMs = 5 * 60_000;
      directory.security.recordSignIn(adele, { at: new Date('2026-11-22T09:58:00Z') });
      assert.equal((await signInsOf(sam, adele, new Date('2026-11-22T09:00:00Z'))).value.length, 0);
      now = new Date('2026-11-22T10:03:00Z');
      assert.equal((await signInsOf(sam, adele, new Date('2026-11-22T09:00:00Z'))).value.length, 1);
    });

    it('pages with $top up to 1,000 and a nextLink; $top above 1,000 is refused', async function () {
      const sam = await clientFor(directory.user('sam'), 'AuditLog.Read.All');
      const adele = directory.user('adele');
      for (let i = 0; i < 3; i += 1)
        directory.security.recordSignIn(adele, { at: new Date(Date.parse('2026-11-22T09:00:00Z') + i * 60_000) });
      const first = await signInsOf(sam, adele, new Date('2026-11-22T08:00:00Z'), 2);
      assert.equal(first.value.length, 2);
      assert.ok(first['@odata.nextLink']);
      const second = (await sam.api(first['@odata.nextLink']).get()) as Page;
      assert.equal(second.value.length, 1);
      await assert.rejects(signInsOf(sam, adele, new Date('2026-11-22T08:00:00Z'), 1001), refusedWith(400, 'Request_BadRequest'));
    });

    it('refuses as Graph does: without AuditLog.Read.All, without a reporting role, and without Entra ID P1 or P2', async function () {
      const adele = directory.user('adele');
      const since = new Date('2026-11-22T09:00:00Z');
      await assert.rejects(
        signInsOf(await clientFor(directory.user('sam'), 'User.Read.All'), adele, since),
        refusedWith(403, 'Authentication_MSGraphPermissionMissing'),
      );
      await assert.rejects(
        signInsOf(await clientFor(directory.user('uma'), 'AuditLog.Read.All'), adele, since),
        refusedWith(403, 'Authentication_RequestFromUnsupportedUserRole'),
      );
      directory.security.licences.p1 = false;
      directory.security.licences.p2 = false;
      await assert.rejects(
        signInsOf(await clientFor(directory.user('sam'), 'AuditLog.Read.All'), adele, since),
        refusedWith(403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant'),
      );
    });

    it('refuses a filter on a property it does not know, and ge on a property that is no date-time', async function () {
      const sam = await clientFor(directory.user('sam'), 'AuditLog.Read.All');
      await assert.rejects(
        sam.api('/auditLogs/signIns').filter('signInEventTypes/any(t: t eq %27nonInteractiveUser%27)').get(),
        refusedWith(400, 'Request_BadRequest'),
      );
      await assert.rejects(
        sam.api('/auditLogs/signIns').filter('userId%20ge%202026-01-01T00:00:00Z').get(),
        refusedWith(400, 'Request_UnsupportedQuery'),
      );
    });
  });

  describe('POST /identityProtection/riskyUsers/confirmCompromised', function () {
    it('raises the user’s risk to high for a Security Administrator; is refused for a User Administrator; says the tenant is not licensed without P2', async function () {
      const connie = directory.user('connie');
      const body = { userIds: [connie.id] };
      await assert.rejects(
        (await clientFor(directory.user('uma'), 'IdentityRiskyUser.ReadWrite.All'))
          .api('/identityProtection/riskyUsers/confirmCompromised')
          .post(body),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
      directory.security.licences.p2 = false;
      const sam = await clientFor(directory.user('sam'), 'IdentityRiskyUser.ReadWrite.All');
      await assert.rejects(sam.api('/identityProtection/riskyUsers/confirmCompromised').post(body), (error: unknown) => {
        assert.ok(error instanceof GraphError && error.statusCode === 403 && error.message.includes('not licensed'));
        return true;
      });
      directory.security.licences.p2 = true;
      await sam.api('/identityProtection/riskyUsers/confirmCompromised').post(body);
      assert.deepEqual(
        { ...directory.security.riskyUsers.get(connie.id), riskLastUpdatedDateTime: undefined },
        {
          riskLevel: 'high',
          riskState: 'confirmedCompromised',
          riskDetail: 'adminConfirmedUserCompromised',
          riskLastUpdatedDateTime: undefined,
        },
      );
    });
  });

  describe('Identity Protection: dismiss, and the users at risk', function () {
    it('dismisses a user’s risk for a Security Administrator, with the same refusals as confirmCompromised', async function () {
      const megan = directory.user('megan.bowen');
      directory.security.riskyUsers.set(megan.id, {
        riskLevel: 'medium',
        riskState: 'atRisk',
        riskDetail: 'none',
        riskLastUpdatedDateTime: '2026-11-01T00:00:00Z',
      });
      await assert.rejects(
        (await clientFor(directory.user('uma'), 'IdentityRiskyUser.ReadWrite.All'))
          .api('/identityProtection/riskyUsers/dismiss')
          .post({ userIds: [megan.id] }),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
      const sam = await clientFor(directory.user('sam'), 'IdentityRiskyUser.ReadWrite.All');
      await assert.rejects(sam.api('/identityProtection/riskyUsers/dismiss').post({ userIds: [] }), refusedWith(400, 'Request_BadRequest'));
      await sam.api('/identityProtection/riskyUsers/dismiss').post({ userIds: [megan.id] });
      assert.equal(directory.security.riskyUsers.get(megan.id)?.riskState, 'dismissed');
      assert.equal(directory.security.riskyUsers.get(megan.id)?.riskLevel, 'none');
    });

    it('lists users filtered by riskState, newest change first, with $top up to 500 and a nextLink; reads one user; 404 for a user without a record', async function () {
      const users = ['megan.bowen', 'alex', 'helen'].map((name) => directory.user(name));
      // Only these three (the seed has the demo's compromised user at risk too).
      directory.security.riskyUsers.clear();
      users.forEach((user, i) =>
        directory.security.riskyUsers.set(user.id, {
          riskLevel: 'high',
          riskState: i === 2 ? 'dismissed' : 'atRisk',
          riskDetail: 'none',
          riskLastUpdatedDateTime: `2026-11-0${String(i + 1)}T00:00:00Z`,
        }),
      );
      const sam = await clientFor(directory.user('sam'), 'IdentityRiskyUser.Read.All');
      const first = (await sam.api('/identityProtection/riskyUsers').filter("riskState eq 'atRisk'").top(1).get()) as Page;
      assert.deepEqual(
        first.value.map((u) => u.id),
        [users[1]!.id],
        'newest first',
      );
      assert.ok(first['@odata.nextLink']);
      const second = (await sam.api(first['@odata.nextLink']).get()) as Page;
      assert.deepEqual(
        second.value.map((u) => u.id),
        [users[0]!.id],
      );
      await assert.rejects(sam.api('/identityProtection/riskyUsers').top(501).get(), refusedWith(400, 'Request_BadRequest'));
      const one = (await sam.api(`/identityProtection/riskyUsers/${users[0]!.id}`).get()) as Record<string, unknown>;
      assert.equal(one.riskState, 'atRisk');
      await assert.rejects(sam.api(`/identityProtection/riskyUsers/${directory.user('grace').id}`).get(), (error: unknown) => {
        assert.ok(error instanceof GraphError && error.statusCode === 404);
        return true;
      });
      directory.security.licences.p2 = false;
      await assert.rejects(sam.api('/identityProtection/riskyUsers').get(), (error: unknown) => {
        assert.ok(error instanceof GraphError && error.statusCode === 403 && error.message.includes('not licensed'));
        return true;
      });
    });
  });

  describe('authentication methods', function () {
    it('lists a user’s methods with their types and registration times for an Authentication Administrator, not for a User Administrator', async function () {
      const aaron = await clientFor(directory.user('aaron'), 'UserAuthenticationMethod.Read.All');
      const page = (await aaron.api(`/users/${COMPROMISED_USER_ID}/authentication/methods`).get()) as Page;
      assert.deepEqual(
        page.value.map((m) => [m['@odata.type'], m.createdDateTime === null ? null : typeof m.createdDateTime]),
        [
          ['#microsoft.graph.passwordAuthenticationMethod', null],
          ['#microsoft.graph.microsoftAuthenticatorAuthenticationMethod', 'string'],
          ['#microsoft.graph.phoneAuthenticationMethod', 'string'],
          ['#microsoft.graph.phoneAuthenticationMethod', 'string'],
        ],
      );
      const uma = await clientFor(directory.user('uma'), 'UserAuthenticationMethod.Read.All');
      await assert.rejects(
        uma.api(`/users/${COMPROMISED_USER_ID}/authentication/methods`).get(),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
      await assert.rejects(
        aaron.api(`/users/${COMPROMISED_USER_ID}/authentication/methods`).select('id').get(),
        refusedWith(400, 'Request_BadRequest'),
      );
    });

    it('deletes a phone through phoneMethods; never the password (no DELETE) nor the default method; with ReadWrite.All only', async function () {
      const path = `/users/${COMPROMISED_USER_ID}/authentication`;
      const reader = await clientFor(directory.user('aaron'), 'UserAuthenticationMethod.Read.All');
      await assert.rejects(
        reader.api(`${path}/phoneMethods/${PHONE_METHOD_ID.alternateMobile}`).delete(),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
      const aaron = await clientFor(directory.user('aaron'), 'UserAuthenticationMethod.ReadWrite.All');
      await aaron.api(`${path}/phoneMethods/${PHONE_METHOD_ID.alternateMobile}`).delete();
      assert.ok(!directory.security.methodsOf(COMPROMISED_USER_ID).some((m) => m.id === PHONE_METHOD_ID.alternateMobile));
      await assert.rejects(
        aaron.api(`${path}/passwordMethods/28c10230-6103-485e-b985-444c60001490`).delete(),
        refusedWith(405, 'Request_BadRequest'),
      );
      const authenticator = directory.security.defaultMethod.get(COMPROMISED_USER_ID)!;
      await assert.rejects(
        aaron.api(`${path}/microsoftAuthenticatorMethods/${authenticator}`).delete(),
        refusedWith(400, 'Request_BadRequest'),
      );
      await assert.rejects(
        aaron.api(`${path}/fido2Methods/${PHONE_METHOD_ID.mobile}`).delete(),
        refusedWith(404, 'Request_ResourceNotFound'),
      );
    });

    it('Authentication Administrator: some users; Privileged Authentication Administrator: all users (Entra’s tier rule)', async function () {
      const grace = directory.user('grace');
      const phone = directory.security.addMethod(grace.id, {
        id: PHONE_METHOD_ID.mobile,
        odataType: '#microsoft.graph.phoneAuthenticationMethod',
        createdDateTime: now.toISOString(),
        properties: { phoneNumber: '+1 5550100', phoneType: 'mobile' },
      });
      const path = `/users/${grace.id}/authentication/phoneMethods/${phone.id}`;
      await assert.rejects(
        (await clientFor(directory.user('aaron'), 'UserAuthenticationMethod.ReadWrite.All')).api(path).delete(),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
      await (await clientFor(directory.user('priya'), 'UserAuthenticationMethod.ReadWrite.All')).api(path).delete();
    });
  });

  describe("GET …/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')", function () {
    it('lists the caller’s own eligible roles, tenant-wide; needs Entra ID P2', async function () {
      const uma = await clientFor(directory.user('uma'), 'RoleEligibilitySchedule.Read.Directory');
      const page = (await uma.api(ELIGIBILITY).select('roleDefinitionId,directoryScopeId').get()) as Page;
      assert.deepEqual(page.value, [{ roleDefinitionId: ROLE.PrivilegedAuthenticationAdministrator, directoryScopeId: '/' }]);
      const helen = await clientFor(directory.user('helen'), 'RoleEligibilitySchedule.Read.Directory');
      assert.deepEqual(((await helen.api(ELIGIBILITY).get()) as Page).value, []);
      directory.security.licences.p2 = false;
      await assert.rejects(uma.api(ELIGIBILITY).get(), refusedWith(400, 'AadPremiumLicenseRequired'));
      await assert.rejects(
        (await clientFor(directory.user('uma'), 'User.Read.All')).api(ELIGIBILITY).get(),
        refusedWith(403, 'Authorization_RequestDenied'),
      );
    });
  });

  describe('the demo’s attacker', function () {
    it('signs in again right after a revoke, and is kept out once the account is disabled or the password reset', async function () {
      const connie = directory.user('connie');
      const grace = await clientFor(directory.user('grace'), 'User.RevokeSessions.All');
      const outcomes = async (): Promise<number[]> => {
        await grace.api(`/users/${connie.id}/revokeSignInSessions`).post({});
        const last = directory.security.signIns.at(-1)!;
        return [last.status.errorCode, last.createdDateTime === connie.signInSessionsValidFromDateTime ? 1 : 0];
      };
      assert.deepEqual(await outcomes(), [0, 1], 'a success in the second of the revoke');
      connie.passwordProfile = { forceChangePasswordNextSignIn: true, changedAt: now.toISOString() };
      assert.deepEqual(await outcomes(), [50126, 1]);
      connie.accountEnabled = false;
      assert.deepEqual(await outcomes(), [50057, 1]);
    });
  });
});
