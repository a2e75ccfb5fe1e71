import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditCsv, auditJsonl, csvCell } from '../../src/app/auditExport';
import { AuditQueryService } from '../../src/app/auditQueries';
import { AuditTrail } from '../../src/app/auditTrail';
import type { AuditLog, AuditRecord } from '../../src/app/ports/auditLog';
import type { Acting } from '../../src/app/acting';
import type { PersonRef } from '../../src/domain/people';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage';
import { FakeDirectory } from '../helpers/fakeDirectory';
import { ManualClock } from '../helpers/clock';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const OTHER_TENANT = '11111111-2222-4333-8444-555555555555';
const GROUP = 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f03';
const PRIYA: PersonRef = {
  tenantId: TENANT,
  aadObjectId: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc',
  name: 'Priya Privauth',
  userPrincipalName: 'priya@contoso.com',
};
const ADELE = { id: '6e7b768e-07e2-4810-8459-485f84f8f204', userPrincipalName: 'adele@contoso.com', displayName: 'Adele Vance' };
const UMA = { aadObjectId: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99', userPrincipalName: 'uma@contoso.com', name: 'Uma Useradmin' };

describe('reading the audit trail (use case)', function () {
  let dir: string;
  let storage: SqliteStorage;
  let trail: AuditTrail;
  let directory: FakeDirectory;
  const clock = new ManualClock();

  beforeEach(async function () {
    dir = mkdtempSync(path.join(tmpdir(), 'revoker-audit-'));
    storage = openSqliteStorage({ dataDir: dir, clock });
    trail = new AuditTrail({ log: storage.audit, retryDelaysInMs: [1], clock });
    directory = new FakeDirectory(PRIYA.aadObjectId);
    directory.add({ ...ADELE });
    const at = '2026-11-22T10:00:00.000Z';
    await storage.audit.append({
      at,
      tenantId: TENANT,
      action: 'request.created',
      outcome: 'info',
      actor: UMA,
      target: ADELE,
      requestId: 'r1',
    });
    await storage.audit.append({
      at,
      tenantId: TENANT,
      action: 'revocation.succeeded',
      outcome: 'ok',
      actor: UMA,
      target: ADELE,
      requestId: 'r1',
      graphRequestId: 'g1',
    });
    await storage.audit.append({
      at,
      tenantId: OTHER_TENANT,
      action: 'request.created',
      outcome: 'info',
      actor: UMA,
      target: ADELE,
      requestId: 'other',
    });
    await storage.audit.append({
      at,
      tenantId: TENANT,
      action: 'request.created',
      outcome: 'info',
      actor: UMA,
      target: { id: 'gone-user', userPrincipalName: 'Former@Contoso.com' },
      requestId: 'r2',
    });
  });

  afterEach(async function () {
    await trail.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function service(options: { adminGroupId?: string; channel?: boolean; log?: AuditLog } = {}): AuditQueryService {
    return new AuditQueryService({
      log: options.log ?? storage.audit,
      audit: trail,
      adminGroupId: options.adminGroupId,
      securityChannelConfigured: options.channel ?? false,
    });
  }

  const acting = (): Acting => ({ person: PRIYA, directory });

  it('when the reader is in the admin group, then they get their own tenant’s records only, newest first, and the view is recorded first', async function () {
    directory.groupIds.add(GROUP);
    const outcome = await service({ adminGroupId: GROUP }).run(acting(), { mode: 'list', limit: 10 }, { inSecurityChannel: false });
    assert.equal(outcome.kind, 'listed');
    assert.deepEqual(outcome.kind === 'listed' && outcome.records.map((r) => r.requestId), ['r2', 'r1', 'r1']);
    const [view] = await storage.audit.list({ limit: 1 });
    assert.equal(view?.action, 'audit.viewed');
    assert.equal(view?.code, 'admin_group');
    assert.equal(view?.detail, 'viewed 3 records');
  });

  it('when the reader is in neither the group nor the channel, then they are refused, the membership was checked with their own token, and the refusal is recorded', async function () {
    const outcome = await service({ adminGroupId: GROUP, channel: true }).run(
      acting(),
      { mode: 'list', limit: 10 },
      { inSecurityChannel: false },
    );
    assert.deepEqual(outcome, { kind: 'refused', reason: 'not_member' });
    assert.equal(directory.count('isMemberOfGroup'), 1);
    const [refusal] = await storage.audit.list({ limit: 1 });
    assert.deepEqual(
      [refusal?.action, refusal?.outcome, refusal?.code, refusal?.actor?.aadObjectId],
      ['audit.refused', 'refused', 'not_member', PRIYA.aadObjectId],
    );
  });

  it('when the security channel vouches for the reader, then no group check is needed', async function () {
    const outcome = await service({ adminGroupId: GROUP, channel: true }).run(
      acting(),
      { mode: 'list', limit: 1 },
      { inSecurityChannel: true },
    );
    assert.equal(outcome.kind === 'listed' && outcome.basis, 'security_channel');
    assert.equal(outcome.kind === 'listed' && outcome.more, true);
    assert.equal(directory.count('isMemberOfGroup'), 0);
  });

  it('when the membership check fails, then nothing is shown and the failure is recorded', async function () {
    directory.memberOfFailure = { code: 'graph_unavailable', status: 503, graphRequestId: 'g-503' };
    const outcome = await service({ adminGroupId: GROUP }).run(acting(), { mode: 'list', limit: 10 }, { inSecurityChannel: false });
    assert.equal(outcome.kind, 'failed');
    const [refusal] = await storage.audit.list({ limit: 1 });
    assert.deepEqual(
      [refusal?.action, refusal?.outcome, refusal?.code, refusal?.graphRequestId],
      ['audit.refused', 'failed', 'membership_check_graph_unavailable', 'g-503'],
    );
  });

  it('when the view cannot be recorded, then nothing is shown', async function () {
    directory.groupIds.add(GROUP);
    const failing: AuditLog = { list: (filter) => storage.audit.list(filter), append: async () => Promise.reject(new Error('disk full')) };
    const outcome = await new AuditQueryService({
      log: storage.audit,
      audit: new AuditTrail({ log: failing, retryDelaysInMs: [], clock }),
      adminGroupId: GROUP,
      securityChannelConfigured: false,
    }).run(acting(), { mode: 'list', limit: 10 }, { inSecurityChannel: false });
    assert.deepEqual(outcome, { kind: 'storage_unavailable' });
  });

  it('when filtering by a UPN the directory no longer knows, then the records are matched by the UPN they hold', async function () {
    directory.groupIds.add(GROUP);
    const outcome = await service({ adminGroupId: GROUP }).run(
      acting(),
      { mode: 'list', limit: 10, subject: { role: 'target', who: { kind: 'userPrincipalName', upn: 'former@contoso.com' } } },
      { inSecurityChannel: false },
    );
    assert.deepEqual(outcome.kind === 'listed' && outcome.records.map((r) => r.requestId), ['r2']);
  });

  it('when exporting, then the content is oldest first in the chosen format', async function () {
    directory.groupIds.add(GROUP);
    const outcome = await service({ adminGroupId: GROUP }).run(
      acting(),
      { mode: 'export', format: 'jsonl', limit: 50, subject: { role: 'target', who: { kind: 'objectId', id: ADELE.id } } },
      { inSecurityChannel: false },
    );
    assert.equal(outcome.kind, 'exported');
    const lines =
      outcome.kind === 'exported'
        ? outcome.content
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as AuditRecord)
        : [];
    assert.deepEqual(
      lines.map((r) => r.action),
      ['request.created', 'revocation.succeeded'],
    );
  });

  it('when nobody is configured, then everyone is refused as not configured', async function () {
    const outcome = await service().run(acting(), { mode: 'list', limit: 10 }, { inSecurityChannel: true });
    assert.deepEqual(outcome, { kind: 'refused', reason: 'not_configured' });
  });
});

describe('audit export formats', function () {
  const record = (overrides: Partial<AuditRecord>): AuditRecord => ({
    at: '2026-11-22T10:00:00.000Z',
    tenantId: TENANT,
    action: 'request.created',
    outcome: 'info',
    seq: 1,
    id: 'id-1',
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
    ...overrides,
  });

  it('quotes CSV cells with commas, quotes and line breaks, and defuses spreadsheet formulas', function () {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(42), '42');
  });

  it('writes one CSV row per record under a fixed header, and one JSON object per line', function () {
    const records = [
      record({ seq: 1, actor: { aadObjectId: 'a', name: 'Ádèle, "the" admin' } }),
      record({ seq: 2, action: 'revocation.succeeded', outcome: 'ok', graphRequestId: 'g' }),
    ];
    const csv = auditCsv(records).split('\n');
    assert.equal(csv.length, 4);
    assert.match(csv[0]!, /^seq,id,at,tenantId,action,outcome,actorId,actorUpn,actorName/);
    assert.match(csv[1]!, /"Ádèle, ""the"" admin"/);
    assert.deepEqual(
      auditJsonl(records)
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditRecord),
      records,
    );
  });
});
