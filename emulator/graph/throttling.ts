/**
 * Graph's throttling, as the emulated Graph enforces it. Every request — a direct one
 * or a step inside $batch, which Graph evaluates "individually against throttling limits"
 * (https://learn.microsoft.com/graph/json-batching) — is charged one token against each quota of
 * its operation's row in the permission table (../permissions.ts) that counts requests: all of
 * them, or only writes (POST, PATCH, PUT, DELETE). Each quota is a token bucket per scope (app
 * and tenant, app, tenant, or user and tenant) holding `limit` tokens, refilled continuously at
 * limit ÷ window, the algorithm Microsoft names for identity throttling
 * (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits).
 * A request that finds any of its buckets empty is answered 429 TooManyRequests with Retry-After
 * (the time until that bucket holds a token again) and the x-ms-throttle-* headers, and is not
 * charged; inside a batch only that step fails, and the batch answers 200.
 *
 * Quotas counted in resource units (cost per request depends on path, $select, $top, tenant size)
 * are not enforced: they are kept as data. The time scale compresses every window (100: 3,000
 * writes per 150 s become 3,000 per 1.5 s) so a benchmark at the limit runs in seconds; the quota
 * scale shrinks every limit so a test's run spans several windows with few users.
 */
import type { Quota } from '../permissions';
import type { GraphCaller } from './auth';
import { failure, type GraphError } from './responses';

export interface ThrottlingOptions {
  /** How many times faster than real time every window runs (default 1: Microsoft's windows). */
  readonly timeScale?: number;
  /** Multiplies every limit (default 1: Microsoft's limits); at least one request per window remains. */
  readonly quotaScale?: number;
}

/** A quota as this emulator enforces it: requests per window, in its own (scaled) time. */
export interface EffectiveQuota {
  readonly requests: number;
  readonly windowInMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** x-ms-throttle-scope's first part, for the scopes Microsoft documents. */
const SCOPE_NAMES: Partial<Record<Quota['per'], string>> = {
  appAndTenant: 'Tenant_Application',
  tenant: 'Tenant',
  appAcrossTenants: 'Application',
};

export class GraphThrottle {
  private readonly buckets = new Map<Quota, Map<string, Bucket>>();
  private readonly timeScale: number;
  private readonly quotaScale: number;
  private throttledCount = 0;

  constructor(
    options: ThrottlingOptions = {},
    /** Monotonic milliseconds (performance.now()); tests pass their own. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timeScale = positive(options.timeScale, 'timeScale');
    this.quotaScale = positive(options.quotaScale, 'quotaScale');
  }

  /** The quota as enforced here (scaled). */
  effective(quota: Quota): EffectiveQuota {
    const limit = typeof quota.limit === 'number' ? quota.limit : quota.limit.large;
    return { requests: Math.max(1, Math.round(limit * this.quotaScale)), windowInMs: (quota.windowInSeconds * 1000) / this.timeScale };
  }

  /** How many requests it answered 429 so far. */
  get throttled(): number {
    return this.throttledCount;
  }

  /** Charges one request against `quotas`; undefined when it may run, else Graph's 429 (nothing charged). */
  admit(quotas: readonly Quota[], method: string, caller: GraphCaller, tenantId: string): GraphError | undefined {
    const now = this.now();
    const charged: { quota: Quota; bucket: Bucket }[] = [];
    let refused: { quota: Quota; waitInMs: number } | undefined;
    for (const quota of quotas) {
      if (quota.unit !== 'requests') continue;
      if (quota.counts === 'writes' && !WRITES.has(method.toUpperCase())) continue;
      const { requests, windowInMs } = this.effective(quota);
      const bucket = this.bucket(quota, scopeKey(quota, caller, tenantId), requests, now);
      bucket.tokens = Math.min(requests, bucket.tokens + ((now - bucket.at) * requests) / windowInMs);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        charged.push({ quota, bucket });
        continue;
      }
      const waitInMs = ((1 - bucket.tokens) * windowInMs) / requests;
      if (!refused || waitInMs > refused.waitInMs) refused = { quota, waitInMs };
    }
    if (!refused) {
      for (const { bucket } of charged) bucket.tokens -= 1;
      return undefined;
    }
    this.throttledCount += 1;
    return failure(429, 'TooManyRequests', 'Please retry again later.', throttleHeaders(refused.quota, refused.waitInMs, caller, tenantId));
  }

  private bucket(quota: Quota, key: string, requests: number, now: number): Bucket {
    let byScope = this.buckets.get(quota);
    if (!byScope) this.buckets.set(quota, (byScope = new Map<string, Bucket>()));
    let bucket = byScope.get(key);
    // A scope that has not called yet has its whole quota.
    if (!bucket) byScope.set(key, (bucket = { tokens: requests, at: now }));
    return bucket;
  }
}

function positive(value: number | undefined, name: string): number {
  if (value === undefined) return 1;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`throttling.${name} must be a positive number.`);
  return value;
}

function appOf(caller: GraphCaller): string {
  return caller.appId ?? 'unknown-app';
}

function scopeKey(quota: Quota, caller: GraphCaller, tenantId: string): string {
  switch (quota.per) {
    case 'appAndTenant':
      return `${tenantId}|${appOf(caller)}`;
    case 'appAcrossTenants':
      return appOf(caller);
    case 'tenant':
      return tenantId;
    case 'userAndTenant':
      return `${tenantId}|${caller.kind === 'user' ? caller.oid : appOf(caller)}`;
  }
}

/** Retry-After in seconds (Graph sends fractions, e.g. 2.128), and the documented x-ms-throttle-* headers. */
function throttleHeaders(quota: Quota, waitInMs: number, caller: GraphCaller, tenantId: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (quota.retryAfter) headers['Retry-After'] = String(Math.max(1, Math.ceil(waitInMs)) / 1000);
  const scope = SCOPE_NAMES[quota.per];
  if (scope) {
    headers['x-ms-throttle-scope'] = `${scope}/${quota.counts === 'writes' ? 'Write' : 'ReadWrite'}/${appOf(caller)}/${tenantId}`;
  }
  if (quota.counts === 'writes') headers['x-ms-throttle-information'] = 'WriteLimitExceeded';
  return headers;
}
