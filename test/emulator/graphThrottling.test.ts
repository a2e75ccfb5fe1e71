import assert from 'node:assert/strict';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DEFAULT_USER_ROLE, DEMO_TENANT_ID, seedDirectory, type Directory, type DirectoryUser } from '../../emulator/directory';
import { EmulatedGraph, GRAPH_ROUTES, GraphThrottle } from '../../emulator/graph';
import type { GraphCaller } from '../../emulator/graph/auth';
import { PERMISSION_TABLE, type Quota } from '../../emulator/permissions';
import { epochSeconds, SigningKeySet } from '../../emulator/signingKeys';
import type { PemPair } from '../../emulator/tls';
import { testTls } from '../helpers/tls';

const BOT_APP_ID = '11111111-2222-4333-8444-555555555555';
const OTHER_APP_ID = '99999999-2222-4333-8444-555555555555';
const REVOKE = 'User.Read User.Read.All User.RevokeSessions.All';
const IDENTITY = PERMISSION_TABLE['users.revokeSignInSessions'].quotas;
const WRITE_QUOTA = IDENTITY.find((q) => q.per === 'appAndTenant' && q.counts === 'writes')!;

function caller(appId: string, oid = 'aaaaaaaa-0000-4000-8000-000000000001'): GraphCaller {
  return { kind: 'user', oid, appId, scopes: new Set(), roles: [], issuedAtInSeconds: 0, clientCapabilities: [] };
}

/** Admits `times` requests in a row; how many got through. */
function admitted(throttle: GraphThrottle, quotas: readonly Quota[], method: string, who: GraphCaller, times: number): number {
  let through = 0;
  for (let i = 0; i < times; i += 1) if (throttle.admit(quotas, method, who, DEMO_TENANT_ID) === undefined) through += 1;
  return through;
}

describe("the emulated Graph's throttling", function () {
  describe('the quotas, on a manual monotonic clock', function () {
    let now: number;
    let throttle: GraphThrottle;

    beforeEach(function () {
      now = 1_000;
      throttle = new GraphThrottle({}, () => now);
    });

    it('when an app writes 3,000 times at once, then the next write is refused with Retry-After for one token (20 a second) and x-ms-throttle headers', function () {
      assert.equal(admitted(throttle, IDENTITY, 'POST', caller(BOT_APP_ID), 3000), 3000);
      const refused = throttle.admit(IDENTITY, 'POST', caller(BOT_APP_ID), DEMO_TENANT_ID);
      assert.equal(refused?.status, 429);
      assert.equal(refused?.code, 'TooManyRequests');
      assert.deepEqual(refused?.headers, {
        'Retry-After': '0.05',
        'x-ms-throttle-scope': `Tenant_Application/Write/${BOT_APP_ID}/${DEMO_TENANT_ID}`,
        'x-ms-throttle-information': 'WriteLimitExceeded',
      });
      assert.equal(throttle.throttled, 1);
      now += 50;
      assert.equal(admitted(throttle, IDENTITY, 'POST', caller(BOT_APP_ID), 2), 1, 'one token came back in 50 ms');
      now += 1000;
      assert.equal(admitted(throttle, IDENTITY, 'POST', caller(BOT_APP_ID), 30), 20, 'then 20 a second');
    });

    it('when the write quota is spent, then reads still go, and another app and another user of the same app are counted as Graph counts them', function () {
      admitted(throttle, IDENTITY, 'POST', caller(BOT_APP_ID), 3000);
      assert.equal(admitted(throttle, IDENTITY, 'GET', caller(BOT_APP_ID), 500), 500, 'reads do not count against the write quota');
      assert.equal(
        admitted(throttle, IDENTITY, 'PATCH', caller(BOT_APP_ID, 'aaaaaaaa-0000-4000-8000-000000000002'), 1),
        0,
        'per app and tenant: another signed-in user of the same app shares it',
      );
      assert.equal(admitted(throttle, IDENTITY, 'DELETE', caller(OTHER_APP_ID), 3000), 3000, 'another app has its own');
      // The tenant's writes across all apps: 18,000 per 300 s; six apps use it up.
      for (let app = 2; app <= 5; app += 1) admitted(throttle, IDENTITY, 'POST', caller(`${app}1111111-2222-4333-8444-555555555555`), 3000);
      const tenantWide = throttle.admit(IDENTITY, 'POST', caller('61111111-2222-4333-8444-555555555555'), DEMO_TENANT_ID);
      assert.equal(tenantWide?.status, 429);
      assert.equal(tenantWide?.headers?.['x-ms-throttle-scope'], `Tenant/Write/61111111-2222-4333-8444-555555555555/${DEMO_TENANT_ID}`);
    });

    it('when a device is written 25 times in 10 s by one person, then the 26th waits; another person may still write', function () {
      const devices = PERMISSION_TABLE['devices.update'].quotas;
      assert.equal(admitted(throttle, devices, 'PATCH', caller(BOT_APP_ID), 26), 25);
      assert.equal(admitted(throttle, devices, 'PATCH', caller(BOT_APP_ID, 'aaaaaaaa-0000-4000-8000-000000000003'), 1), 1);
    });

    it('when a quota says Graph sends no Retry-After, then its 429 has none', function () {
      const protection = PERMISSION_TABLE['riskyUsers.list'].quotas;
      assert.equal(admitted(throttle, protection, 'GET', caller(BOT_APP_ID), 2), 1);
      const refused = throttle.admit(protection, 'GET', caller(BOT_APP_ID), DEMO_TENANT_ID);
      assert.equal(refused?.status, 429);
      assert.equal(refused?.headers?.['Retry-After'], undefined);
    });

    it('when time runs 100 times faster, then 3,000 writes per 150 s become 3,000 per 1.5 s; a quota scale shrinks every limit', function () {
      const fast = new GraphThrottle({ timeScale: 100 }, () => now);
      assert.deepEqual(fast.effective(WRITE_QUOTA), { requests: 3000, windowInMs: 1500 });
      assert.equal(admitted(fast, IDENTITY, 'POST', caller(BOT_APP_ID), 3001), 3000);
      assert.equal(fast.admit(IDENTITY, 'POST', caller(BOT_APP_ID), DEMO_TENANT_ID)?.headers?.['Retry-After'], '0.001');
      now += 15;
      assert.equal(admitted(fast, IDENTITY, 'POST', caller(BOT_APP_ID), 100), 30);
      const small = new GraphThrottle({ timeScale: 1000, quotaScale: 0.01 }, () => now);
      assert.deepEqual(small.effective(WRITE_QUOTA), { requests: 30, windowInMs: 150 });
      assert.equal(
        small.effective(PERMISSION_TABLE['devices.update'].quotas.find((q) => q.per === 'userAndTenant')!).requests,
        1,
        'never below one request per window',
      );
      assert.throws(() => new GraphThrottle({ timeScale: 0 }), RangeError);
      assert.throws(() => new GraphThrottle({ quotaScale: Number.NaN }), RangeError);
    });
  });

  describe('on the wire, through the Graph client', function () {
    let tls: PemPair;
    let keys: SigningKeySet;
    let directory: Directory;
    let graph: EmulatedGraph | undefined;

    before(async function () {
      tls = (await testTls()).server;
      keys = await SigningKeySet.create();
    });

    beforeEach(function () {
      directory = seedDirectory();
    });

    afterEach(async function () {
      await graph?.stop();
      graph = undefined;
    });

    async function clientFor(user: DirectoryUser, appId = BOT_APP_ID): Promise<Client> {
      const now = epochSeconds();
      const token = await keys.sign({
        aud: 'https://graph.microsoft.com',
        iss: `https://sts.windows.net/${DEMO_TENANT_ID}/`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        appid: appId,
        tid: DEMO_TENANT_ID,
        oid: user.id,
        upn: user.userPrincipalName,
        scp: REVOKE,
        wids: [...user.roles, DEFAULT_USER_ROLE],
        idtyp: 'user',
        ver: '1.0',
      });
      const credential: TokenCredential = {
        getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
      };
      return Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] }),
        baseUrl: graph!.endpoint,
        defaultVersion: 'v1.0',
        customHosts: new Set(['127.0.0.1']),
      });
    }

    function users(count: number): DirectoryUser[] {
      return Array.from({ length: count }, (_, i) =>
        directory.addUser({ userPrincipalName: `t${i}@${directory.domain}`, displayName: `Throttled ${i}`, department: 'T' }),
      );
    }

    function revokeSteps(targets: readonly DirectoryUser[]): Record<string, unknown>[] {
      return targets.map((u, i) => ({
        id: String(i + 1),
        method: 'POST',
        url: `/users/${u.id}/revokeSignInSessions`,
        headers: { 'Content-Type': 'application/json' },
        body: {},
      }));
    }

    interface Answer {
      responses: { id: string; status: number; headers: Record<string, string>; body?: { error?: { code: string } } }[];
    }

    it('when batches of revokes go beyond the app’s write quota, then each step beyond it is 429 with its own Retry-After inside an outer 200, and is not carried out', async function () {
      // 30 writes per 150 s: a hundredth of Graph's quota, in real time (so no token comes back during the test).
      graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys, throttling: { timeScale: 1, quotaScale: 0.01 } });
      const uma = directory.user('uma');
      const targets = users(40);
      const client = await clientFor(uma);
      const first = (await client.api('/$batch').post({ requests: revokeSteps(targets.slice(0, 20)) })) as Answer;
      const second = (await client.api('/$batch').post({ requests: revokeSteps(targets.slice(20)) })) as Answer;
      assert.deepEqual(
        first.responses.map((r) => r.status),
        Array.from({ length: 20 }, () => 200),
      );
      assert.deepEqual(
        second.responses.map((r) => r.status),
        [...Array.from({ length: 10 }, () => 200), ...Array.from({ length: 10 }, () => 429)],
      );
      for (const step of second.responses.filter((r) => r.status === 429)) {
        assert.equal(step.body?.error?.code, 'TooManyRequests');
        assert.ok(Number(step.headers['Retry-After']) > 0, `Retry-After ${step.headers['Retry-After'] ?? 'absent'}`);
        assert.equal(step.headers['X-Ms-Throttle-Scope'], `Tenant_Application/Write/${BOT_APP_ID}/${DEMO_TENANT_ID}`);
      }
      assert.equal(targets.slice(30).filter((u) => u.signInSessionsValidFromDateTime !== '2026-01-05T08:00:00Z').length, 0);
      assert.equal(targets.slice(0, 30).filter((u) => u.signInSessionsValidFromDateTime === '2026-01-05T08:00:00Z').length, 0);
      assert.deepEqual(
        graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke).map((c) => c.status),
        [...Array.from({ length: 30 }, () => 200), ...Array.from({ length: 10 }, () => 429)],
        'the call log records each step, throttled or not',
      );
      // Reads are not writes; another app has its own write quota.
      const read = (await client.api('/$batch').post({
        requests: targets.slice(0, 20).map((u, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${u.id}?$select=id` })),
      })) as Answer;
      assert.ok(read.responses.every((r) => r.status === 200));
      const other = await clientFor(uma, OTHER_APP_ID);
      const otherApp = (await other.api('/$batch').post({ requests: revokeSteps(targets.slice(30)) })) as Answer;
      assert.ok(otherApp.responses.every((r) => r.status === 200));
    });

    it('when a direct write is throttled, then Graph’s 429 body comes with Retry-After and the client’s retry handler waits and succeeds', async function () {
      graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys, throttling: { timeScale: 1000, quotaScale: 1 / 3000 } });
      const client = await clientFor(directory.user('uma'));
      const [a, b] = users(2);
      await client.api(`/users/${a!.id}/revokeSignInSessions`).post({});
      await client.api(`/users/${b!.id}/revokeSignInSessions`).post({});
      assert.deepEqual(
        graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke).map((c) => c.status),
        [200, 429, 200],
        'one write per 0.15 s: the second waited for its Retry-After, then went through',
      );
    });

    it('when throttling is left at its default, then Graph’s own quotas apply; turned off, nothing is throttled', async function () {
      graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys });
      assert.deepEqual(graph.throttle?.effective(WRITE_QUOTA), { requests: 3000, windowInMs: 150_000 });
      await graph.stop();
      graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys, throttling: false });
      assert.equal(graph.throttle, undefined);
    });
  });
});
