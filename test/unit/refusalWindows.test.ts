import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AuditTrail, REFUSAL_WINDOW_IN_MS } from '../../src/app/auditTrail';
import type { AuditActor, AuditEntry, AuditLog, AuditRecord } from '../../src/app/ports/auditLog';
import { RefusalWindows, type AuditDraft } from '../../src/app/refusalWindows';
import { ManualClock } from '../helpers/clock';

const T = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const MALLORY = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Mallory' };
const ALICE = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Alice' };
const REQUEST = '33333333-3333-4333-8333-333333333333';

function refusal(actor: AuditActor = MALLORY, code = 'not_requester', action: AuditEntry['action'] = 'request.refused'): AuditDraft {
  return { tenantId: T, action, outcome: 'refused', actor, requestId: REQUEST, code };
}

/** An audit log in memory. */
function memoryLog(): AuditLog & { readonly written: AuditEntry[] } {
  const written: AuditEntry[] = [];
  return {
    written,
    async append(entry: AuditEntry): Promise<AuditRecord> {
      written.push(entry);
      return { ...entry, seq: written.length, id: String(written.length), prevHash: '0'.repeat(64), hash: '0'.repeat(64) };
    },
    list: async () => [],
  };
}

describe('repeated refusals in the audit trail', function () {
  const sandbox = sinon.createSandbox();

  afterEach(function () {
    sandbox.restore();
  });

  it('audit flooding: when one person is refused 500 times in a window, then the first is recorded at once and the rest as one record with the count, before their next window opens', async function () {
    const clock = new ManualClock();
    const log = memoryLog();
    const trail = new AuditTrail({ log, clock });
    for (let i = 0; i < 500; i += 1) {
      await trail.after(refusal(MALLORY, i % 5 === 0 ? 'expired' : 'not_requester'));
      clock.advance(10);
    }
    assert.equal(log.written.length, 1);
    assert.equal(log.written[0]?.code, 'expired');
    clock.set(new Date(Date.parse('2026-11-22T10:00:00Z') + REFUSAL_WINDOW_IN_MS));
    await trail.after(refusal(MALLORY));
    assert.deepEqual(
      log.written.map((e) => e.code),
      ['expired', 'repeated', 'not_requester'],
      'the summary of the last window comes before the first refusal of the next',
    );
    const summary = log.written[1]!;
    assert.equal(summary.action, 'request.refused');
    assert.equal(summary.actor?.aadObjectId, MALLORY.aadObjectId);
    assert.equal(summary.requestId, REQUEST);
    assert.equal(
      summary.detail,
      '499 more like this from the same person (not_requester ×400, expired ×99) between 2026-11-22T10:00:00.010Z and 2026-11-22T10:00:04.990Z, recorded here as one.',
    );
    await trail.close();
  });

  it('when others are refused meanwhile, or the same person for another reason, then each has their own window', async function () {
    const log = memoryLog();
    const trail = new AuditTrail({ log, clock: new ManualClock() });
    for (let i = 0; i < 3; i += 1) {
      await trail.after(refusal(MALLORY));
      await trail.after(refusal(ALICE));
      await trail.after(refusal(MALLORY, 'expired', 'signin.refused'));
    }
    assert.deepEqual(
      log.written.map((e) => `${String(e.actor?.name)}:${e.action}`),
      ['Mallory:request.refused', 'Alice:request.refused', 'Mallory:signin.refused'],
    );
    await trail.close();
    assert.equal(log.written.filter((e) => e.code === 'repeated').length, 3, 'closing writes every open window’s summary');
  });

  it('when records are not refusals of a person, then none is ever coalesced', async function () {
    const log = memoryLog();
    const trail = new AuditTrail({ log, clock: new ManualClock() });
    for (let i = 0; i < 3; i += 1) {
      await trail.after({ tenantId: T, action: 'revocation.succeeded', outcome: 'ok', actor: MALLORY, requestId: REQUEST });
      await trail.after({ tenantId: T, action: 'approval.rejected', outcome: 'refused', actor: MALLORY, requestId: REQUEST });
      await trail.after({ tenantId: T, action: 'audit.refused', outcome: 'failed', actor: MALLORY, code: 'membership_check_timeout' });
      await trail.after({ tenantId: T, action: 'request.refused', outcome: 'refused', code: 'no_actor' });
    }
    await trail.close();
    assert.equal(log.written.length, 12);
  });

  it('when the person goes quiet, then the summary is written once their window is over, without waiting for shutdown', async function () {
    const timers = sandbox.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new ManualClock();
    const log = memoryLog();
    const trail = new AuditTrail({ log, clock });
    for (let i = 0; i < 4; i += 1) await trail.after(refusal());
    clock.advance(REFUSAL_WINDOW_IN_MS / 2);
    await timers.tickAsync(REFUSAL_WINDOW_IN_MS);
    assert.equal(log.written.length, 1, 'the window is still open on the clock that decides');
    clock.advance(REFUSAL_WINDOW_IN_MS / 2);
    await timers.tickAsync(REFUSAL_WINDOW_IN_MS);
    assert.deepEqual(
      log.written.map((e) => e.code),
      ['not_requester', 'repeated'],
    );
    assert.match(log.written[1]?.detail ?? '', /^3 more like this/);
    await trail.close();
    assert.equal(log.written.length, 2, 'nothing written twice');
  });

  it('when very many people are refused at once, then memory stays bounded and no count is lost', function () {
    const windows = new RefusalWindows({ windowInMs: 60_000, maxWindows: 100 });
    const due: AuditDraft[] = [];
    let written = 0;
    for (let i = 0; i < 1000; i += 1) {
      const actor = { aadObjectId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` };
      for (let n = 0; n < 3; n += 1) {
        const taken = windows.take(refusal(actor), 0);
        due.push(...taken.due);
        if (taken.write) written += 1;
      }
    }
    assert.ok(windows.size <= 100);
    const summaries = [...due, ...windows.drain()];
    assert.equal(written, 1000);
    assert.equal(summaries.length, 1000);
    assert.ok(summaries.every((s) => (s.detail ?? '').startsWith('2 more like this')));
  });
});
