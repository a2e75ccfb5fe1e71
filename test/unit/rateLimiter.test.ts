import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RATE_LIMITS, describeWait, RateLimiter, type RateDecision } from '../../src/app/rateLimiter';
import { ManualClock } from '../helpers/clock';
import { readConfig } from '../../src/config/config';
import { RATE_LIMIT_VARIABLES } from '../../src/config/rateLimitConfig';

const TENANT = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER_TENANT = 'aaaaaaaa-0000-4000-8000-000000000002';
const person = (n: number, tenantId = TENANT): { tenantId: string; aadObjectId: string } => ({
  tenantId,
  aadObjectId: `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`,
});

function takeMany(
  limiter: RateLimiter,
  action: 'command' | 'revoke',
  who: { tenantId: string; aadObjectId: string },
  times: number,
): RateDecision[] {
  return Array.from({ length: times }, () => limiter.take(action, who));
}

describe('the rate limiter', function () {
  let clock: ManualClock;

  beforeEach(function () {
    clock = new ManualClock();
  });

  it('when a person stays within their limit, then every command is allowed', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 5 }, clock });
    assert.ok(takeMany(limiter, 'command', person(1), 5).every((d) => d.allowed));
  });

  it('when a person goes over their limit, then the next one is refused with the time until one more is allowed, and told once', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 6 }, clock });
    takeMany(limiter, 'command', person(1), 6);
    const first = limiter.take('command', person(1));
    const second = limiter.take('command', person(1));
    assert.deepEqual(first, { allowed: false, scope: 'user', retryAfterInMs: 10_000, firstRefusal: true });
    assert.equal(second.allowed, false);
    assert.equal(!second.allowed && second.firstRefusal, false);
  });

  it('when time passes, then the bucket refills at the steady rate and the person is told again after the next refusal', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 6 }, clock });
    takeMany(limiter, 'command', person(1), 7);
    clock.advance(9_999);
    assert.equal(limiter.take('command', person(1)).allowed, false);
    clock.advance(1);
    assert.equal(limiter.take('command', person(1)).allowed, true);
    const refused = limiter.take('command', person(1));
    assert.ok(!refused.allowed && refused.firstRefusal);
  });

  it('when one person floods, then another person in the same organisation is not limited', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 3, tenantCommandsPerMinute: 100 }, clock });
    takeMany(limiter, 'command', person(1), 50);
    assert.equal(limiter.take('command', person(2)).allowed, true);
  });

  it('when an organisation reaches its limit, then its people are refused with scope tenant, and another organisation is not', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 10, tenantCommandsPerMinute: 4 }, clock });
    for (let n = 0; n < 4; n += 1) assert.equal(limiter.take('command', person(n)).allowed, true);
    const refused = limiter.take('command', person(9));
    assert.equal(refused.allowed, false);
    assert.equal(!refused.allowed && refused.scope, 'tenant');
    assert.equal(limiter.take('command', person(9, OTHER_TENANT)).allowed, true);
  });

  it('when a person is refused by their own limit, then their organisation’s budget is not spent', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 2, tenantCommandsPerMinute: 3 }, clock });
    takeMany(limiter, 'command', person(1), 20);
    assert.equal(limiter.take('command', person(2)).allowed, true);
  });

  it('when revokes and commands are counted, then they have separate limits', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 2, userRevokesPerMinute: 1 }, clock });
    assert.equal(limiter.take('revoke', person(1)).allowed, true);
    assert.equal(limiter.take('revoke', person(1)).allowed, false);
    assert.equal(limiter.take('command', person(1)).allowed, true);
  });

  it('when ids differ only in case, then they are the same person', function () {
    const limiter = new RateLimiter({ limits: { userCommandsPerMinute: 1 }, clock });
    limiter.take('command', person(1));
    const upper = { tenantId: TENANT.toUpperCase(), aadObjectId: person(1).aadObjectId.toUpperCase() };
    assert.equal(limiter.take('command', upper).allowed, false);
  });

  it('when a hundred thousand people each send one command, then memory stays bounded', function () {
    const limiter = new RateLimiter({ maxBuckets: 1000, limits: { tenantCommandsPerMinute: 1e9 }, clock });
    for (let n = 0; n < 100_000; n += 1) limiter.take('command', person(n));
    assert.ok(limiter.bucketCount <= 2 * 1000 + 2, `${limiter.bucketCount} buckets`);
  });

  it('when a limit is not a positive number, then it refuses to start', function () {
    assert.throws(() => new RateLimiter({ limits: { userRevokesPerMinute: 0 }, clock }), /userRevokesPerMinute/);
    assert.throws(() => new RateLimiter({ limits: { tenantRevokesPerMinute: Number.NaN }, clock }), /tenantRevokesPerMinute/);
  });

  it('when the wait is told to people, then it is in whole seconds or minutes', function () {
    assert.equal(describeWait(1), 'in 1 second');
    assert.equal(describeWait(10_000), 'in 10 seconds');
    assert.equal(describeWait(150_000), 'in about 3 minutes');
  });
});

describe('the rate limit configuration', function () {
  const base = {
    MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
    MicrosoftAppPassword: 'x',
    MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
  };

  it('when no RATE_LIMIT_* variable is set, then the defaults apply, and GRAPH_TIMEOUT_SECONDS defaults to 10', function () {
    const result = readConfig(base);
    assert.ok(result.ok);
    assert.deepEqual(result.config.rateLimits, DEFAULT_RATE_LIMITS);
    assert.equal(result.config.graphTimeoutInMs, 10_000);
  });

  it('when each RATE_LIMIT_* variable is set, then it sets its own limit', function () {
    const env: Record<string, string> = { ...base, GRAPH_TIMEOUT_SECONDS: '0.5' };
    Object.keys(RATE_LIMIT_VARIABLES).forEach((name, i) => (env[name] = String(i + 1)));
    const result = readConfig(env);
    assert.ok(result.ok);
    assert.deepEqual(result.config.rateLimits, {
      userCommandsPerMinute: 1,
      userRevokesPerMinute: 2,
      tenantCommandsPerMinute: 3,
      tenantRevokesPerMinute: 4,
      alertCallerPerMinute: 5,
      tenantAlertsPerMinute: 6,
    });
    assert.equal(result.config.graphTimeoutInMs, 500);
  });

  it('when a limit is not a positive number, then start-up names the variable', function () {
    const result = readConfig({ ...base, RATE_LIMIT_USER_REVOKES_PER_MINUTE: 'lots', GRAPH_TIMEOUT_SECONDS: '-1' });
    assert.ok(!result.ok);
    assert.match(result.problems.join('\n'), /RATE_LIMIT_USER_REVOKES_PER_MINUTE must be a positive number \(got "lots"\)/);
    assert.match(result.problems.join('\n'), /GRAPH_TIMEOUT_SECONDS must be a positive number/);
  });

  it('every RATE_LIMIT_* variable is documented in .env.example with its default', function () {
    const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    for (const [name, key] of Object.entries(RATE_LIMIT_VARIABLES))
      assert.match(example, new RegExp(`^# ?${name}=${DEFAULT_RATE_LIMITS[key]}$`, 'm'));
  });
});
