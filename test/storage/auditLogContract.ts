/**
 * The behaviour every AuditLog backend must have (SQLite and Azure Blob). A backend's test file
 * calls describeAuditLogContract with a factory for a fresh, empty log.
 */
import assert from 'node:assert/strict';
import { SecretLikeValueError, type AuditEntry, type AuditLog, type AuditRecord } from '../../src/app/ports/auditLog';
import { GENESIS_HASH, recordHash, verifyChain, type AuditChainSource } from '../../src/storage/auditChain';
import { fakeJwt } from './stateStoreContract';

export interface AuditLogContractFixture {
  readonly log: AuditLog;
  /** The same log's stored records, for verification. */
  readonly chain: AuditChainSource;
  /** Another instance/connection on the same data; the contract does not close it. */
  readonly second: () => Promise<AuditLog>;
  dispose(): Promise<void>;
}

const TENANT = 'c0ffee00-0000-4000-8000-000000000001';
const ADELE = '0a1b2c3d-0000-4000-8000-00000000ade1';
const MEGAN = '0a1b2c3d-0000-4000-8000-0000000000e6';
const AGENT = '0a1b2c3d-0000-4000-8000-00000000a6e7';

export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: '2026-03-01T10:00:00.000Z',
    tenantId: TENANT,
    action: 'request.created',
    outcome: 'ok',
    actor: { aadObjectId: AGENT, userPrincipalName: 'agent@contoso.com', name: 'Help Desk Agent' },
    target: { id: ADELE, userPrincipalName: 'adele@contoso.com', displayName: 'Adele Vance' },
    requestId: 'req-1',
    ...overrides,
  };
}

export function describeAuditLogContract(name: string, makeLog: () => Promise<AuditLogContractFixture>): void {
  describe(`${name}: AuditLog contract`, function () {
    let fixture: AuditLogContractFixture;
    let log: AuditLog;

    beforeEach(async function () {
      fixture = await makeLog();
      log = fixture.log;
    });

    afterEach(async function () {
      await fixture.dispose();
    });

    it('when entries are appended, then records carry their fields, consecutive seqs from 1 and UUID ids, and list returns them newest first', async function () {
      const first = await log.append(auditEntry());
      const second = await log.append(
        auditEntry({
          action: 'revocation.succeeded',
          code: 'x',
          graphRequestId: 'g-1',
          correlationId: 'c-1',
          detail: 'Ádèle 👩‍💻 "quoted"\nline',
        }),
      );
      assert.equal(first.seq, 1);
      assert.equal(second.seq, 2);
      assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(second, {
        ...auditEntry({
          action: 'revocation.succeeded',
          code: 'x',
          graphRequestId: 'g-1',
          correlationId: 'c-1',
          detail: 'Ádèle 👩‍💻 "quoted"\nline',
        }),
        seq: 2,
        id: second.id,
        prevHash: first.hash,
        hash: second.hash,
      });
      assert.deepEqual(await log.list(), [second, first]);
    });

    it('when records are appended, then each carries the previous record’s hash and the hash of its own canonical form, and the chain verifies', async function () {
      const records: AuditRecord[] = [];
      for (let i = 0; i < 5; i += 1)
        records.push(await log.append(auditEntry({ requestId: `req-${i}`, detail: i === 2 ? 'ünïcødé "quotes" \u2028' : undefined })));
      assert.equal(records[0]?.prevHash, GENESIS_HASH);
      for (const [i, record] of records.entries()) {
        assert.match(record.hash, /^[0-9a-f]{64}$/);
        assert.equal(record.hash, recordHash(record));
        if (i > 0) assert.equal(record.prevHash, records[i - 1]?.hash);
      }
      assert.deepEqual(await log.list(), [...records].reverse(), 'read back with the same hashes');
      const verdict = await verifyChain(fixture.chain.stored());
      assert.deepEqual(verdict, { intact: true, records: 5, lastSeq: 5, lastHash: records[4]?.hash });
      assert.deepEqual(await fixture.chain.guardProblems(), []);
    });

    it('when the entry carries properties the port does not define, then they are not stored', async function () {
      const record = await log.append({
        ...auditEntry(),
        ssoContext: { note: 'never stored' },
        target: { id: ADELE, extra: 'nope' },
      } as AuditEntry);
      assert.equal('ssoContext' in record, false);
      assert.deepEqual(record.target, { id: ADELE });
      assert.deepEqual(await log.list(), [record]);
    });

    it('when the entry is malformed, then append throws a TypeError and appends nothing', async function () {
      for (const broken of [
        { ...auditEntry(), action: 'request.deleted' },
        { ...auditEntry(), outcome: 'maybe' },
        { ...auditEntry(), at: 'yesterday' },
        { ...auditEntry(), tenantId: '' },
      ]) {
        await assert.rejects(log.append(broken as AuditEntry), TypeError);
      }
      assert.deepEqual(await log.list(), []);
    });

    it('when a field the bot fills itself (code, request id, correlation id, Graph request id) holds a JWT or a private key, then append throws SecretLikeValueError and appends nothing', async function () {
      const jwt = fakeJwt();
      for (const leaky of [
        auditEntry({ code: jwt }),
        auditEntry({ requestId: `req ${jwt}` }),
        auditEntry({ correlationId: jwt }),
        auditEntry({ graphRequestId: '-----BEGIN PRIVATE KEY-----\nMII' }),
      ]) {
        await assert.rejects(log.append(leaky), SecretLikeValueError);
      }
      assert.deepEqual(await log.list(), []);
    });

    it('when directory data or free text looks like a credential (job titles, names, reasons in detail), then it is appended as it is', async function () {
      const jwt = fakeJwt();
      const entries = [
        auditEntry({ detail: 'Reason: Basic auth/IMAP abuse' }),
        auditEntry({ target: { id: ADELE, displayName: `Basic Telecommunications Lead ${jwt}` } }),
        auditEntry({ actor: { aadObjectId: AGENT, name: 'Bearer Operations Coordinator', userPrincipalName: 'agent@contoso.com' } }),
      ];
      for (const entry of entries) await log.append(entry);
      assert.deepEqual(
        (await log.list()).map((r) => [r.detail, r.target?.displayName, r.actor?.name]).reverse(),
        entries.map((e) => [e.detail, e.target?.displayName, e.actor?.name]),
      );
    });

    it('when filtered by target, actor, request or tenant, then only matching records come back, newest first', async function () {
      await log.append(auditEntry({ requestId: 'req-1' }));
      await log.append(auditEntry({ requestId: 'req-2', target: { id: MEGAN } }));
      await log.append(auditEntry({ requestId: 'req-1', action: 'revocation.succeeded' }));
      await log.append(auditEntry({ requestId: 'req-3', tenantId: 'other-tenant', actor: { aadObjectId: ADELE }, target: { id: MEGAN } }));
      await log.append(auditEntry({ requestId: undefined, target: undefined, action: 'command.received', outcome: 'info' }));
      const shape = (records: { requestId?: string; action: string }[]): string[] =>
        records.map((r) => `${r.requestId ?? '-'}:${r.action}`);
      assert.deepEqual(shape(await log.list({ targetId: ADELE })), ['req-1:revocation.succeeded', 'req-1:request.created']);
      assert.deepEqual(shape(await log.list({ targetId: MEGAN })), ['req-3:request.created', 'req-2:request.created']);
      assert.deepEqual(shape(await log.list({ actorId: ADELE })), ['req-3:request.created']);
      assert.deepEqual(shape(await log.list({ requestId: 'req-1' })), ['req-1:revocation.succeeded', 'req-1:request.created']);
      assert.deepEqual(shape(await log.list({ tenantId: TENANT, targetId: MEGAN })), ['req-2:request.created']);
      assert.deepEqual(await log.list({ targetId: 'nobody' }), []);
    });

    it('when paging with limit and before, then the pages cover every record once, newest first', async function () {
      const appended = [];
      for (let i = 0; i < 23; i += 1) appended.push(await log.append(auditEntry({ requestId: `req-${i}` })));
      const seen: number[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await log.list({ limit: 5, before });
        if (page.length === 0) break;
        assert.ok(page.length <= 5);
        seen.push(...page.map((record) => record.seq));
        before = page[page.length - 1]?.seq;
      }
      assert.deepEqual(seen, appended.map((record) => record.seq).reverse());
      assert.deepEqual(await log.list({ limit: 0 }), []);
      assert.equal((await log.list({ limit: 3, requestId: 'req-7' }))[0]?.requestId, 'req-7');
    });

    it('when two instances append at the same time, then every record lands once, with distinct consecutive seqs, and reads back as written', async function () {
      const other = await fixture.second();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? log : other).append(auditEntry({ requestId: `req-${i}` }))),
      );
      const seqs = results.map((record) => record.seq).sort((a, b) => a - b);
      assert.deepEqual(
        seqs,
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      const listed = await other.list({ limit: 100 });
      assert.equal(listed.length, 30);
      for (const record of results)
        assert.deepEqual(
          listed.find((r) => r.seq === record.seq),
          record,
        );
      // One linear chain: every record chains onto the one before it, whoever wrote either.
      const verdict = await verifyChain(fixture.chain.stored());
      assert.ok(verdict.intact, JSON.stringify(verdict));
      assert.equal(verdict.records, 30);
    });
  });
}
