/**
 * Ids Graph returns become URL paths of the next requests (/groups/{id}, /users/{id},
 * /devices/{id}). A reply carrying an id that is not an object id — path traversal or a smuggled
 * query — must be refused at the Graph adapter with a typed failure, and no request may go to the
 * path it forged. Through the real SDKs (OBO in @azure/identity, the Graph JS client) against the
 * emulated Graph, whose answer for one call is replaced by the hostile reply.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supportsBulk, type BulkDirectoryGateway } from '../../src/app/ports/directory';
import type { ContainmentGateway } from '../../src/app/ports/containment';
import type { Config } from '../../src/config/config';
import { EmulatedCloud } from '../../emulator/cloud';
import { GRAPH_ROUTES, type GraphRouteName } from '../../emulator/graph';
import { BULK_GRAPH_SCOPES, bulkConfig, delegatedSession } from '../helpers/bulkCloud';
import { testTls } from '../helpers/tls';

const FORGED_IDS = [
  '../../users/6e7b768e-07e2-4810-8459-485f84f8f204/revokeSignInSessions',
  'x?$filter=accountEnabled eq true',
  '6e7b768e-07e2-4810-8459-485f84f8f204/../../me',
];

describe('ids returned by Graph that are not object ids', function () {
  this.timeout(60_000);
  let cloud: EmulatedCloud;
  let dataDir: string;
  let config: Config;
  let directory: BulkDirectoryGateway;
  let containment: ContainmentGateway;

  before(async function () {
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({
      ca,
      consentedGraphScopes: [
        ...BULK_GRAPH_SCOPES,
        'User.EnableDisableAccount.All',
        'User-PasswordProfile.ReadWrite.All',
        'Device.Read.All',
        'Directory.AccessAsUser.All',
      ],
    });
    dataDir = mkdtempSync(path.join(tmpdir(), 'revoker-hostile-ids-'));
    config = bulkConfig(cloud, dataDir);
    const session = await delegatedSession(cloud, config, 'grace');
    assert.ok(supportsBulk(session.directory) && session.containment);
    directory = session.directory;
    containment = session.containment;
  });

  afterEach(function () {
    cloud.graph.clearFaults();
  });

  after(async function () {
    await cloud?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The next call of `route` is answered 200 with `body` instead of Graph's own answer. */
  function hostileReply(route: GraphRouteName, body: unknown): void {
    cloud.graph.server.injectFault({ route, status: 200, body, headers: { 'content-type': 'application/json; odata.metadata=minimal' } });
  }

  /** The calls Graph received while `work` ran. */
  async function callsDuring<T>(work: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
    const before = cloud.graph.server.calls.length;
    const result = await work();
    return { result, calls: cloud.graph.server.calls.slice(before).map((c) => `${c.method} ${c.path}`) };
  }

  for (const forged of FORGED_IDS) {
    it(`forged group id in a group lookup by name (${forged}): refused as unexpected, nothing asked of the forged path`, async function () {
      hostileReply(GRAPH_ROUTES.listGroups, { value: [{ id: forged, displayName: 'Phished Finance' }] });
      const { result, calls } = await callsDuring(() => directory.listGroupUsers({ kind: 'displayName', name: 'Phished Finance' }, 100));
      assert.deepEqual(result, { ok: false, error: { code: 'unexpected' } });
      assert.deepEqual(calls, ['GET /v1.0/groups'], 'only the lookup itself');
    });

    it(`forged group id answered for a group read by id (${forged}): refused as unexpected, no members listed`, async function () {
      hostileReply(GRAPH_ROUTES.getGroup, { id: forged, displayName: 'Phished Finance' });
      const groupId = 'd1c2b3a4-0000-4000-8000-00000000beef';
      const { result, calls } = await callsDuring(() => directory.listGroupUsers({ kind: 'objectId', id: groupId }, 100));
      assert.deepEqual(result, { ok: false, error: { code: 'unexpected' } });
      assert.deepEqual(calls, [`GET /v1.0/groups/${groupId}`]);
    });

    it(`forged user id in a department listing (${forged}): the whole listing is refused, so no run can revoke a forged path`, async function () {
      hostileReply(GRAPH_ROUTES.listUsers, {
        value: [
          { id: '6e7b768e-07e2-4810-8459-485f84f8f204', userPrincipalName: 'adele@contoso.onmicrosoft.com' },
          { id: forged, userPrincipalName: 'mallory@contoso.onmicrosoft.com' },
        ],
      });
      const { result, calls } = await callsDuring(() => directory.listDepartmentUsers('Finance', 100));
      assert.deepEqual(result, { ok: false, error: { code: 'unexpected' } });
      assert.equal(calls.length, 1);
    });

    it(`forged user id in a user read or a name search (${forged}): refused as unexpected`, async function () {
      hostileReply(GRAPH_ROUTES.getUser, { id: forged, userPrincipalName: 'adele@contoso.onmicrosoft.com', displayName: 'Adele Vance' });
      assert.deepEqual(await directory.getUser({ kind: 'userPrincipalName', upn: 'adele@contoso.onmicrosoft.com' }), {
        ok: false,
        error: { code: 'unexpected' },
      });
      hostileReply(GRAPH_ROUTES.listUsers, {
        value: [{ id: forged, userPrincipalName: 'adele@contoso.onmicrosoft.com', displayName: 'Adele Vance' }],
      });
      assert.deepEqual(await directory.findByDisplayName('Adele', 5), { ok: false, error: { code: 'unexpected' } });
    });

    it(`forged device id in a user's registered devices (${forged}): that device counts as not disabled and nothing is patched at its path; real devices still are`, async function () {
      const adele = cloud.directory.user('adele');
      const real = [...cloud.directory.devices.values()].filter((d) => d.ownerId === adele.id);
      for (const device of real) device.accountEnabled = true;
      hostileReply(GRAPH_ROUTES.registeredDevices, {
        value: [{ id: forged, accountEnabled: true }, ...real.map((d) => ({ id: d.id, accountEnabled: true }))],
      });
      const { result, calls } = await callsDuring(() => containment.disableDevices(adele.id));
      assert.ok(result.ok);
      assert.equal(result.value.total, real.length + 1);
      assert.equal(result.value.disabled, real.length);
      assert.deepEqual(result.value.firstFailure, { code: 'unexpected' });
      assert.deepEqual(calls, [`GET /v1.0/users/${adele.id}/registeredDevices`, ...real.map((d) => `PATCH /v1.0/devices/${d.id}`)]);
    });
  }
});
