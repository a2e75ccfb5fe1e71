import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AuditTrail } from '../../src/app/auditTrail';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { ScheduleService } from '../../src/app/schedule/scheduleService';
import type { PersonRef } from '../../src/domain/people';
import {
  armSchedule,
  isInterruptedTake,
  matchChange,
  proposeSchedule,
  takeOccurrence,
  type ScheduledRevocation,
} from '../../src/domain/schedule';
import { parseWhen } from '../../src/domain/scheduleTime';
import { parseCommand } from '../../src/domain/command';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { ManualClock } from '../helpers/clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeDirectory } from '../helpers/fakeDirectory';

const TENANT = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
const UMA: PersonRef = { tenantId: TENANT, aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Uma' };
const HELEN: PersonRef = { tenantId: TENANT, aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Helen' };
const ADELE = {
  kind: 'user' as const,
  id: '33333333-3333-4333-8333-333333333333',
  displayName: 'Adele Vance',
  userPrincipalName: 'adele@contoso.com',
};
/** How long a take may run without a result before the next click may take it over. */
const STALE_IN_MS = 120_000;

describe('scheduled revocations: the rules', function () {
  const now = new Date('2026-12-02T10:00:00Z');
  function proposal(text = 'on 2026-12-04 17:00'): ScheduledRevocation {
    const when = parseWhen(text, 'Europe/Berlin', now);
    assert.ok(when.ok);
    return proposeSchedule({ id: 's1', armedBy: UMA, target: ADELE, ...when.value, now, ttlInMs: 3600_000 });
  }

  it('when someone other than its author tries to arm or cancel a schedule, then it is refused', function () {
    const armed = armSchedule(proposal(), HELEN, now);
    assert.deepEqual(armed, { ok: false, error: 'not_armer' });
  });

  it('when a proposal is armed after it expired, then it is refused and nothing is armed', function () {
    assert.deepEqual(armSchedule(proposal(), UMA, new Date(now.getTime() + 2 * 3600_000)), { ok: false, error: 'expired' });
  });

  it('when an occurrence is taken, then a second click on it, or a click on an older card, is refused', function () {
    const armed = armSchedule(proposal(), UMA, now);
    assert.ok(armed.ok);
    const withOccurrence: ScheduledRevocation = {
      ...armed.value,
      occurrence: { number: 2, dueAt: '2026-12-04T16:00:00.000Z', postedAt: '2026-12-04T16:00:05.000Z', late: false, cards: [] },
    };
    const first = takeOccurrence(withOccurrence, 2, HELEN, now, STALE_IN_MS);
    assert.ok(first.ok);
    assert.deepEqual(takeOccurrence(first.value, 2, UMA, now, STALE_IN_MS), { ok: false, error: 'taken' });
    assert.deepEqual(takeOccurrence(withOccurrence, 1, UMA, now, STALE_IN_MS), { ok: false, error: 'stale_card' });
  });

  function dueOccurrence(schedule: ScheduledRevocation = proposal()): ScheduledRevocation {
    const armed = armSchedule(schedule, UMA, now);
    assert.ok(armed.ok);
    return {
      ...armed.value,
      occurrence: { number: 1, dueAt: '2026-12-04T16:00:00.000Z', postedAt: '2026-12-04T16:00:05.000Z', late: false, cards: [] },
    };
  }

  it('when a taken occurrence has had no result for less than the stale time, then another click is still refused as taken', function () {
    const clock = new ManualClock('2026-12-04T16:01:00Z');
    const first = takeOccurrence(dueOccurrence(), 1, HELEN, clock.now(), STALE_IN_MS);
    assert.ok(first.ok);
    clock.advance(STALE_IN_MS - 1);
    assert.equal(isInterruptedTake(first.value, clock.now(), STALE_IN_MS), false);
    assert.deepEqual(takeOccurrence(first.value, 1, UMA, clock.now(), STALE_IN_MS), { ok: false, error: 'taken' });
    assert.deepEqual(takeOccurrence(first.value, 1, HELEN, clock.now(), STALE_IN_MS), { ok: false, error: 'taken' });
  });

  it('when a taken occurrence has had no result for the stale time, then the next click takes it over and carries the interrupted take', function () {
    const clock = new ManualClock('2026-12-04T16:01:00Z');
    const first = takeOccurrence(dueOccurrence(), 1, HELEN, clock.now(), STALE_IN_MS);
    assert.ok(first.ok);
    const firstAt = clock.now().toISOString();
    clock.advance(STALE_IN_MS);
    assert.equal(isInterruptedTake(first.value, clock.now(), STALE_IN_MS), true);
    const byUma = takeOccurrence(first.value, 1, UMA, clock.now(), STALE_IN_MS);
    assert.ok(byUma.ok);
    assert.deepEqual(byUma.value.occurrence?.taken, { by: UMA, at: clock.now().toISOString(), interrupted: { by: HELEN, at: firstAt } });
    const byHelenAgain = takeOccurrence(first.value, 1, HELEN, clock.now(), STALE_IN_MS);
    assert.ok(byHelenAgain.ok, 'the same person may take their own interrupted click over');
    assert.deepEqual(
      takeOccurrence(byUma.value, 1, HELEN, clock.now(), STALE_IN_MS),
      { ok: false, error: 'taken' },
      'the takeover is fresh',
    );
    clock.advance(STALE_IN_MS);
    const again = takeOccurrence(byUma.value, 1, HELEN, clock.now(), STALE_IN_MS);
    assert.ok(again.ok);
    assert.deepEqual(again.value.occurrence?.taken?.interrupted, { by: HELEN, at: firstAt }, 'the earliest interrupted take is kept');
  });

  it('when a group schedule’s occurrence was taken long ago, then it is not taken over (its bulk run recovers on its own)', function () {
    const clock = new ManualClock('2026-12-04T16:01:00Z');
    const group = dueOccurrence({
      ...proposal(),
      target: { kind: 'group', group: { kind: 'displayName', name: 'Contractors' }, label: 'Contractors' },
    });
    const first = takeOccurrence(group, 1, HELEN, clock.now(), STALE_IN_MS);
    assert.ok(first.ok);
    clock.advance(10 * STALE_IN_MS);
    assert.deepEqual(takeOccurrence(first.value, 1, UMA, clock.now(), STALE_IN_MS), { ok: false, error: 'taken' });
  });

  it('when a selection is run again, then the change names who joined and who left', function () {
    assert.deepEqual(matchChange(['a', 'b'], ['b', 'c']), { added: ['c'], removed: ['a'] });
    assert.equal(matchChange(undefined, ['a']), undefined);
  });
});

describe('scheduled revocations: the service over real storage', function () {
  let dir: string;
  let storage: ReturnType<typeof openSqliteStorage>;
  let clock: ManualClock;
  let sandbox: sinon.SinonSandbox;

  beforeEach(function () {
    sandbox = sinon.createSandbox();
    dir = mkdtempSync(path.join(tmpdir(), 'schedules-'));
    clock = new ManualClock('2026-12-02T10:00:00Z');
    storage = openSqliteStorage({ dataDir: dir, clock });
  });

  afterEach(async function () {
    sandbox.restore();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function service(): ScheduleService {
    return new ScheduleService({
      store: storage.state,
      audit: new AuditTrail({ log: storage.audit, clock }),
      clock,
      proposalTtlInMs: 3600_000,
    });
  }

  async function armed(s: ScheduleService): Promise<ScheduledRevocation> {
    const when = parseWhen('on 2026-12-04 17:00', 'Europe/Berlin', clock.now());
    assert.ok(when.ok);
    const proposed = await s.propose(UMA, ADELE, when.value);
    assert.ok(!('kind' in proposed));
    const done = await s.arm(UMA, proposed.id);
    assert.ok(!('kind' in done));
    return done;
  }

  it('when two instances claim the same due time, then exactly one gets it, and it is not due again after', async function () {
    const a = service();
    const b = service();
    const schedule = await armed(a);
    clock.set('2026-12-04T16:00:01Z');
    assert.deepEqual((await a.pending(30 * 60_000)).due, [schedule.id]);
    const claims = await Promise.all([a.claimDue(schedule.id, 'instance-a', 60_000), b.claimDue(schedule.id, 'instance-b', 60_000)]);
    assert.equal(claims.filter((c) => c !== undefined).length, 1);
    await a.recordPosted(schedule.id, [{ where: 'armer', conversationId: 'c', activityId: '1' }]);
    assert.deepEqual((await b.pending(30 * 60_000)).due, []);
  });

  it('when the instance that claimed a due time dies before posting, then another may post it once the lease has run out', async function () {
    const a = service();
    const schedule = await armed(a);
    clock.set('2026-12-04T16:00:01Z');
    assert.ok(await a.claimDue(schedule.id, 'dead', 60_000));
    assert.equal(await a.claimDue(schedule.id, 'other', 60_000), undefined, 'leased');
    assert.deepEqual((await a.pending(30 * 60_000)).unposted, [], 'not while the lease lasts');
    clock.advance(3 * 60_000);
    assert.deepEqual((await a.pending(30 * 60_000)).unposted, [schedule.id]);
    assert.ok(await a.claimUnposted(schedule.id, 'other'));
    await a.recordPosted(schedule.id, [{ where: 'armer', conversationId: 'c', activityId: '1' }]);
    const stored = await storage.state.get<ScheduledRevocation>(NAMESPACE.schedules, schedule.id);
    assert.equal(stored?.value.occurrence?.number, 1, 'the same occurrence, posted once');
    assert.deepEqual((await a.pending(30 * 60_000)).unposted, []);
  });

  it('when two people click the due card at once, then one revoke goes to Graph, with the clicker’s own access', async function () {
    const s = service();
    const schedule = await armed(s);
    clock.set('2026-12-04T16:00:01Z');
    await s.claimDue(schedule.id, 'a', 60_000);
    await s.recordPosted(schedule.id, []);
    const directory = new FakeDirectory(UMA.aadObjectId);
    const revoke = sandbox.spy(directory, 'revokeSessions');
    const outcomes = await Promise.all([
      s.runForUser({ person: UMA, directory }, schedule.id, 1),
      s.runForUser({ person: HELEN, directory }, schedule.id, 1),
    ]);
    assert.equal(revoke.callCount, 1);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['refused', 'revoked']);
  });

  /** A posted due card for Adele that Helen clicked, whose run then died before recording anything. */
  async function interruptedByHelen(s: ScheduleService): Promise<{ schedule: ScheduledRevocation; takenAt: Date }> {
    const schedule = await armed(s);
    clock.set('2026-12-04T16:00:01Z');
    await s.claimDue(schedule.id, 'a', 60_000);
    await s.recordPosted(schedule.id, [{ where: 'armer', conversationId: 'c', activityId: '1' }]);
    clock.advance(30_000);
    const takenAt = clock.now();
    const taken = await s.take(HELEN, schedule.id, 1);
    assert.ok(!('kind' in taken));
    // The process dies here: no revoke result, no give-back.
    return { schedule, takenAt };
  }

  async function stored(id: string): Promise<ScheduledRevocation | undefined> {
    return (await storage.state.get<ScheduledRevocation>(NAMESPACE.schedules, id))?.value;
  }

  /** The revocation records of a schedule, oldest first. */
  async function revocationStory(id: string): Promise<string[]> {
    return (await storage.audit.list({ requestId: id }))
      .filter((r) => r.action.startsWith('revocation.'))
      .map((r) => `${r.action}:${r.outcome}${r.code ? `:${r.code}` : ''}`)
      .reverse();
  }

  it('when a click’s run died and another click comes before the stale time, then it is refused as taken and nothing is revoked', async function () {
    const s = service();
    const { schedule } = await interruptedByHelen(s);
    clock.advance(STALE_IN_MS - 1000);
    const directory = new FakeDirectory(UMA.aadObjectId);
    directory.add(ADELE);
    const outcome = await s.runForUser({ person: UMA, directory }, schedule.id, 1);
    assert.equal(outcome.kind, 'refused');
    assert.equal(outcome.kind === 'refused' && outcome.problem, 'taken');
    assert.equal(directory.count('revokeSessions'), 0);
    assert.equal(directory.count('getUser'), 0);
    const current = await stored(schedule.id);
    assert.ok(current && s.isRunning(current), 'the due card still says Helen’s revoke is running');
  });

  it('when a click’s run died after Entra revoked, then the next click after the stale time records it revoked without a second revoke', async function () {
    const s = service();
    const { schedule, takenAt } = await interruptedByHelen(s);
    const directory = new FakeDirectory(UMA.aadObjectId);
    // Helen's revoke landed before her process died: Entra stamped the time, in whole seconds.
    const revokedAt = new Date(Math.floor(takenAt.getTime() / 1000) * 1000 + 2000).toISOString();
    directory.add({ ...ADELE, signInSessionsValidFrom: revokedAt });
    clock.advance(STALE_IN_MS);
    const current = await stored(schedule.id);
    assert.ok(current && !s.isRunning(current), 'a click is no longer refused before sign-in');
    const outcome = await s.runForUser({ person: UMA, directory }, schedule.id, 1);
    assert.equal(outcome.kind, 'revoked');
    assert.equal(directory.count('revokeSessions'), 0);
    assert.equal(directory.count('getUser'), 1);
    const after = await stored(schedule.id);
    assert.deepEqual(after?.occurrence?.result, { kind: 'revoked', at: revokedAt, by: HELEN });
    assert.equal(after.state, 'finished');
    assert.deepEqual(await revocationStory(schedule.id), ['revocation.succeeded:ok:verified_after_interruption']);
    const record = (await storage.audit.list({ requestId: schedule.id })).find((r) => r.action === 'revocation.succeeded');
    assert.match(record?.detail ?? '', /Helen.s run .* was interrupted/);
    const again = await s.runForUser({ person: HELEN, directory }, schedule.id, 1);
    assert.deepEqual([again.kind, again.kind === 'refused' && again.problem], ['refused', 'done']);
    assert.equal(directory.count('revokeSessions'), 0);
  });

  it('when a click’s run died before Entra revoked, then the next click after the stale time revokes exactly once', async function () {
    const s = service();
    const { schedule } = await interruptedByHelen(s);
    const directory = new FakeDirectory(HELEN.aadObjectId);
    directory.add({ ...ADELE, signInSessionsValidFrom: '2026-11-01T08:00:00Z' });
    clock.advance(STALE_IN_MS);
    const outcome = await s.runForUser({ person: HELEN, directory }, schedule.id, 1);
    assert.equal(outcome.kind, 'revoked');
    assert.equal(directory.count('getUser'), 1);
    assert.equal(directory.count('revokeSessions'), 1);
    const after = await stored(schedule.id);
    assert.deepEqual(after?.occurrence?.result, { kind: 'revoked', at: clock.now().toISOString(), by: HELEN });
    assert.deepEqual(await revocationStory(schedule.id), ['revocation.started:info', 'revocation.succeeded:ok']);
    const again = await s.runForUser({ person: UMA, directory }, schedule.id, 1);
    assert.equal(again.kind, 'refused');
    assert.equal(directory.count('revokeSessions'), 1);
  });

  it('when the read-back after an interrupted click fails, then nothing is revoked and the next click reads back again', async function () {
    const s = service();
    const { schedule } = await interruptedByHelen(s);
    const directory = new FakeDirectory(UMA.aadObjectId);
    directory.add(ADELE);
    clock.advance(STALE_IN_MS);
    const getUser = sandbox.stub(directory, 'getUser').callThrough();
    getUser.onFirstCall().resolves({ ok: false, error: { code: 'throttled', status: 429 } });
    const outcome = await s.runForUser({ person: UMA, directory }, schedule.id, 1);
    assert.equal(outcome.kind, 'failed');
    assert.equal(directory.count('revokeSessions'), 0);
    const current = await stored(schedule.id);
    assert.equal(current?.occurrence?.taken?.by.name, 'Helen', 'the interrupted take is put back as it was');
    const retried = await s.runForUser({ person: UMA, directory }, schedule.id, 1);
    assert.equal(retried.kind, 'revoked');
    assert.equal(directory.count('revokeSessions'), 1);
  });
});

describe('scheduling commands', function () {
  const parse = (text: string): ReturnType<typeof parseCommand> => parseCommand({ text, mentions: [] });

  it('when a revoke ends with at, on or every and a time, then it is a schedule with the time words apart', function () {
    assert.deepEqual(parse('revoke adele at 17:00 friday'), {
      kind: 'schedule',
      subject: { kind: 'user', target: { kind: 'displayName', text: 'adele' } },
      whenText: 'at 17:00 friday',
    });
    const group = parse('revoke group "Contractors" every monday 09:00');
    assert.equal(group.kind, 'schedule');
    assert.deepEqual(group.kind === 'schedule' ? group.subject : undefined, {
      kind: 'bulk',
      source: { kind: 'group', ref: { kind: 'displayName', name: 'Contractors' } },
    });
  });

  it('when a quoted name holds the word at, then it stays part of the name', function () {
    const command = parse('revoke group "Meet at 5" every day 08:00');
    assert.equal(
      command.kind === 'schedule' &&
        command.subject.kind === 'bulk' &&
        command.subject.source.kind === 'group' &&
        command.subject.source.ref.kind === 'displayName'
        ? command.subject.source.ref.name
        : '',
      'Meet at 5',
    );
  });

  it('when scheduled, cancel schedule <id> and save selection are typed, then each is its own command', function () {
    assert.deepEqual(parse('scheduled'), { kind: 'scheduled' });
    assert.deepEqual(parse('cancel schedule 5B0C7E1A-3D2F-4E6A-9B8C-7D6E5F4A3B21'), {
      kind: 'cancelSchedule',
      id: '5b0c7e1a-3d2f-4e6a-9b8c-7d6e5f4a3b21',
    });
    assert.equal(parse('cancel schedule soon').kind, 'invalid');
    assert.deepEqual(parse('save selection "Disabled contractors"'), { kind: 'saveSelection', name: 'Disabled contractors' });
    const withFilter = parse('save selection "HP off" where department eq \'HP\' and accountEnabled eq false');
    assert.equal(withFilter.kind === 'saveSelection' ? withFilter.filter?.kind : undefined, 'and');
  });

  it('when revoke where has a filter outside the language, then the answer names what is allowed', function () {
    const command = parse("revoke where manager eq 'x'");
    assert.equal(command.kind, 'invalid');
    assert.match(command.kind === 'invalid' ? command.problem.detail : '', /Properties: department/);
  });
});
