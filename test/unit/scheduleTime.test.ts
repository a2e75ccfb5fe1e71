import assert from 'node:assert/strict';
import { describeWhen, nextDue, parseWhen, type ParsedWhen } from '../../src/domain/scheduleTime';
import { describeInstant, instantsOf, isTimeZone } from '../../src/domain/zonedTime';

/** Wednesday 2 December 2026, 10:00 UTC (11:00 in Berlin). */
const NOW = new Date('2026-12-02T10:00:00Z');

function when(text: string, zone = 'Europe/Berlin', now = NOW): ParsedWhen {
  const parsed = parseWhen(text, zone, now);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.detail);
  return parsed.value;
}

function refused(text: string, zone = 'Europe/Berlin', now = NOW): { code: string; detail: string } {
  const parsed = parseWhen(text, zone, now);
  assert.ok(!parsed.ok, `expected ${text} to be refused`);
  return parsed.error;
}

describe('schedule times', function () {
  it('when a date and time are given in Berlin, then they are stored in UTC and read back in both', function () {
    const parsed = when('on 2026-12-18 17:00');
    assert.equal(parsed.firstDueAt.toISOString(), '2026-12-18T16:00:00.000Z');
    assert.deepEqual(parsed.when, { kind: 'once', at: '2026-12-18T16:00:00.000Z' });
    assert.equal(describeInstant(parsed.firstDueAt, 'Europe/Berlin'), 'Friday 18 December 2026, 17:00 Europe/Berlin (16:00 UTC)');
  });

  it('when a weekday is named, then it is the coming such day; today only while the time is still ahead', function () {
    assert.equal(when('at 17:00 friday').firstDueAt.toISOString(), '2026-12-04T16:00:00.000Z');
    assert.equal(when('at 17:00 wednesday').firstDueAt.toISOString(), '2026-12-02T16:00:00.000Z');
    assert.equal(when('at 09:00 wednesday').firstDueAt.toISOString(), '2026-12-09T08:00:00.000Z');
    assert.equal(when('at 5pm tomorrow').firstDueAt.toISOString(), '2026-12-03T16:00:00.000Z');
    assert.equal(when('at 5:30 pm', 'UTC').firstDueAt.toISOString(), '2026-12-02T17:30:00.000Z');
  });

  it('when no time zone is known, then UTC is used and said', function () {
    const parsed = when('on 2026-12-18 17:00', 'UTC');
    assert.equal(parsed.firstDueAt.toISOString(), '2026-12-18T17:00:00.000Z');
    assert.equal(describeInstant(parsed.firstDueAt, 'UTC'), 'Friday 18 December 2026, 17:00 UTC');
  });

  it('when the time has passed, is more than a year ahead, is ambiguous or repeats more often than daily, then each is refused with its own sentence', function () {
    assert.equal(refused('at 09:00 today').code, 'past');
    assert.match(refused('on 2026-12-01 17:00').detail, /already passed/);
    assert.match(refused('on 2028-01-05 17:00').detail, /more than a year ahead/);
    assert.match(refused('at 5 friday').detail, /morning or evening/);
    assert.match(refused('on 12/11/2026 17:00').detail, /2026-12-18/);
    assert.match(refused('every hour').detail, /at most once a day/);
    assert.match(refused('every 30m').detail, /at most once a day/);
    assert.match(refused('every 09:00').detail, /which day/);
    assert.match(refused('at noonish').detail, /couldn’t read “noonish”/);
    assert.equal(refused('on 2026-02-30 17:00').code, 'not_a_time');
  });

  it('when a one-off falls in the hour the clocks skip or repeat, then it is refused as ambiguous, naming the day', function () {
    const march = new Date('2027-03-20T10:00:00Z');
    assert.match(refused('on 2027-03-28 02:30', 'Europe/Berlin', march).detail, /doesn’t happen on Sunday 2027-03-28 in Europe\/Berlin/);
    const october = new Date('2027-10-20T10:00:00Z');
    assert.match(refused('on 2027-10-31 02:30', 'Europe/Berlin', october).detail, /happens twice on Sunday 2027-10-31/);
  });

  it('when a weekly schedule crosses the day the clocks change, then it stays at the same local time and its UTC instant moves', function () {
    const parsed = when('every sunday 09:00', 'Europe/Berlin', new Date('2027-03-20T10:00:00Z'));
    assert.deepEqual(parsed.when, { kind: 'weekly', weekday: 0, hour: 9, minute: 0 });
    assert.equal(parsed.firstDueAt.toISOString(), '2027-03-21T08:00:00.000Z');
    const second = nextDue(parsed.when, parsed.zone, parsed.firstDueAt);
    assert.equal(second?.toISOString(), '2027-03-28T07:00:00.000Z', 'summer time on the due day: 09:00 is 07:00 UTC');
    assert.equal(describeWhen(parsed.when, parsed.zone), 'every Sunday at 09:00 Europe/Berlin');
  });

  it('when a daily schedule is due in the skipped hour, then it runs once, moved on by the length of the jump (02:30 → 03:30), and at 02:30 again the next day', function () {
    const parsed = when('every day 02:30', 'Europe/Berlin', new Date('2027-03-27T10:00:00Z'));
    assert.equal(parsed.firstDueAt.toISOString(), '2027-03-28T01:30:00.000Z');
    assert.equal(nextDue(parsed.when, parsed.zone, parsed.firstDueAt)?.toISOString(), '2027-03-29T00:30:00.000Z');
  });

  it('when a wall time is in a fold, then both instants are known', function () {
    const fold = instantsOf({ year: 2027, month: 10, day: 31, hour: 2, minute: 30 }, 'Europe/Berlin');
    assert.equal(fold.kind, 'fold');
    assert.ok(isTimeZone('America/New_York'));
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });
});
