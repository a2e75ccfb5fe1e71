/**
 * Per-person and per-organisation rate limits, as token buckets: each bucket holds up to
 * `perMinute` tokens and refills at `perMinute` a minute, so a person may burst up to the
 * limit and then go on at the steady rate. A refused take says when to try again. Memory is
 * bounded: at most `maxBuckets` buckets per limit, least recently used dropped first (a
 * dropped bucket comes back full, which only ever errs towards letting someone through).
 */
import type { Clock } from '../domain/clock';

/**
 * What is limited. Commands: messages and card actions; revokes: confirmed revocations;
 * sign-ins: the sign-in invokes (and any other invoke) Teams sends, in their own buckets of the
 * commands' size, so signing in never uses up someone's commands. Alerts: POST /api/alerts, per
 * calling app (its client id in place of a person) and per tenant.
 */
export type RateLimitedAction = 'command' | 'revoke' | 'signin' | 'alert';

export interface RateLimits {
  readonly userCommandsPerMinute: number;
  readonly userRevokesPerMinute: number;
  readonly tenantCommandsPerMinute: number;
  readonly tenantRevokesPerMinute: number;
  readonly alertCallerPerMinute: number;
  readonly tenantAlertsPerMinute: number;
}

/** Defaults no real helpdesk work reaches: a person typing a command every second for a minute is still served. */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  userCommandsPerMinute: 60,
  userRevokesPerMinute: 30,
  tenantCommandsPerMinute: 1200,
  tenantRevokesPerMinute: 300,
  alertCallerPerMinute: 60,
  tenantAlertsPerMinute: 300,
});

export type RateDecision =
  | { readonly allowed: true }
  /**
   * `scope` says whose limit was reached; `retryAfterInMs` when one more would be allowed;
   * `firstRefusal` is true for the first refusal since this bucket last let something through
   * (so the caller can answer once and stay quiet while a flood goes on).
   */
  | { readonly allowed: false; readonly scope: 'user' | 'tenant'; readonly retryAfterInMs: number; readonly firstRefusal: boolean };

export interface RateLimiterOptions {
  readonly limits?: Partial<RateLimits>;
  readonly clock: Clock;
  /** Most buckets kept per limit. */
  readonly maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  refusing: boolean;
}

/** One token-bucket limit over many keys, with bounded memory. */
class BucketTable {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly maxBuckets: number,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /** Milliseconds until `key` could take one token (0 = now). */
  waitFor(key: string, now: number): number {
    const bucket = this.refilled(key, now);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.refillPerMs);
  }

  /** Marks a refusal; true when it is the first since the bucket last allowed something. */
  refuse(key: string, now: number): boolean {
    const bucket = this.refilled(key, now);
    const first = !bucket.refusing;
    bucket.refusing = true;
    return first;
  }

  take(key: string, now: number): void {
    const bucket = this.refilled(key, now);
    bucket.tokens -= 1;
    bucket.refusing = false;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      const elapsed = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + elapsed * this.refillPerMs);
      bucket.updatedAt = now;
    } else {
      bucket = { tokens: this.perMinute, updatedAt: now, refusing: false };
    }
    // Re-inserting keeps the Map in least-recently-used order.
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
    return bucket;
  }
}

export class RateLimiter {
  readonly limits: RateLimits;
  private readonly clock: Clock;
  private readonly tables: Readonly<Record<RateLimitedAction, { readonly user: BucketTable; readonly tenant: BucketTable }>>;

  constructor(options: RateLimiterOptions) {
    this.limits = Object.freeze({ ...DEFAULT_RATE_LIMITS, ...options.limits });
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isFinite(value) || value <= 0) throw new RangeError(`rate limit ${name} must be a positive number`);
    }
    this.clock = options.clock;
    const max = options.maxBuckets ?? 10_000;
    this.tables = {
      command: {
        user: new BucketTable(this.limits.userCommandsPerMinute, max),
        tenant: new BucketTable(this.limits.tenantCommandsPerMinute, max),
      },
      revoke: {
        user: new BucketTable(this.limits.userRevokesPerMinute, max),
        tenant: new BucketTable(this.limits.tenantRevokesPerMinute, max),
      },
      signin: {
        user: new BucketTable(this.limits.userCommandsPerMinute, max),
        tenant: new BucketTable(this.limits.tenantCommandsPerMinute, max),
      },
      alert: {
        user: new BucketTable(this.limits.alertCallerPerMinute, max),
        tenant: new BucketTable(this.limits.tenantAlertsPerMinute, max),
      },
    };
  }

  /**
   * Takes one `action` for this person in this tenant if both their own and their
   * organisation's limits allow it; otherwise takes nothing and says when to try again.
   */
  take(action: RateLimitedAction, person: { readonly tenantId: string; readonly aadObjectId: string }): RateDecision {
    const now = this.clock.now().getTime();
    const { user, tenant } = this.tables[action];
    const tenantKey = person.tenantId.toLowerCase();
    const userKey = `${tenantKey}|${person.aadObjectId.toLowerCase()}`;
    const userWait = user.waitFor(userKey, now);
    if (userWait > 0) return { allowed: false, scope: 'user', retryAfterInMs: userWait, firstRefusal: user.refuse(userKey, now) };
    const tenantWait = tenant.waitFor(tenantKey, now);
    // The first refusal is per person, so each person in a busy organisation is told once.
    if (tenantWait > 0) return { allowed: false, scope: 'tenant', retryAfterInMs: tenantWait, firstRefusal: user.refuse(userKey, now) };
    user.take(userKey, now);
    tenant.take(tenantKey, now);
    return { allowed: true };
  }

  /** Buckets held (for tests of the memory bound). */
  get bucketCount(): number {
    return Object.values(this.tables).reduce((sum, t) => sum + t.user.size + t.tenant.size, 0);
  }
}

/** "in 12 seconds", "in about 2 minutes": when to try again, for people. */
export function describeWait(retryAfterInMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterInMs / 1000));
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  return `in about ${Math.round(seconds / 60)} minutes`;
}
