import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditTrail } from '../../src/app/auditTrail';
import type { Acting } from '../../src/app/acting';
import { RevocationService } from '../../src/app/revocation/revocationService';
import type { PersonRef } from '../../src/domain/people';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { FakeDirectory } from '../helpers/fakeDirectory';
import { ManualClock } from '../helpers/clock';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
  name: 'Uma Useradmin',
  userPrincipalName: 'uma@contoso.onmicrosoft.com',
};

describe('recording expiries', function () {
  let dir: string;
  let storage: SqliteStorage;
  let audit: AuditTrail;
  let directory: FakeDirectory;
  let clock: ManualClock;
  let service: RevocationService;

  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-expiry-'));
    clock = new ManualClock('2026-11-22T10:00:00Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
    audit = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    service = new RevocationService({ store: storage.state, audit, requestTtlInMs: 15 * 60_000, clock });
    directory = new FakeDirectory(UMA.aadObjectId);
    for (const i of [1, 2, 3])
      directory.add({ id: `00000000-0000-4000-8000-00000000000${i}`, displayName: `User ${i}`, userPrincipalName: `user${i}@contoso.com` });
  });

  afterEach(async function () {
    await audit.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(i: number): Promise<string> {
    const acting: Acting = { person: UMA, directory };
    const found = await service.lookup(acting, { kind: 'objectId', id: `00000000-0000-4000-8000-00000000000${i}` });
    assert.equal(found.kind, 'found');
    return found.kind === 'found' ? found.request.id : '';
  }

  const expiries = async (): Promise<string[]> =>
    (await storage.audit.list({ limit: 100 })).filter((r) => r.action === 'request.expired').map((r) => r.requestId ?? '');

  it('when nobody clicks an expired request, then the sweep records its expiry once, and leaves open and decided requests alone', async function () {
    const stale = await open(1);
    const cancelled = await open(2);
    assert.equal((await service.cancel(UMA, cancelled)).kind, 'cancelled');
    clock.advance(16 * 60_000);
    const fresh = await open(3);
    assert.equal(await service.expireDue(), 1);
    assert.equal(await service.expireDue(), 0, 'a second sweep finds nothing new');
    assert.deepEqual(await expiries(), [stale]);
    assert.equal((await service.get(stale))?.state, 'expired');
    assert.equal((await service.get(fresh))?.state, 'pending');
    assert.equal((await service.get(cancelled))?.state, 'cancelled');
  });

  it('when an expired request is read by several at once, then its expiry is recorded once', async function () {
    const id = await open(1);
    clock.advance(16 * 60_000);
    const read = await Promise.all([service.get(id), service.get(id), service.get(id), service.expireDue()]);
    assert.ok(read.slice(0, 3).every((r) => r !== undefined && typeof r === 'object' && r.state === 'expired'));
    assert.deepEqual(await expiries(), [id]);
    const [record] = await storage.audit.list({ requestId: id, limit: 1 });
    assert.equal(record?.actor, undefined, 'nobody acted');
    assert.match(record?.detail ?? '', /requested by uma@contoso\.onmicrosoft\.com/);
  });
});
