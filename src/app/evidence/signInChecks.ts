/**
 * "Check sign-ins": what the sign-in logs say since a revoke, read with the clicker's own
 * delegated token (AUDIT_SCOPES) — Entra decides whether they may read them. For one revoked
 * request, or for every user a bulk run revoked: a run's check reads the users in JSON batches,
 * one batch at a time, and remembers what it found, so a check the deadline cut short continues
 * with the users not read yet when clicked again. Every check is recorded in the audit trail.
 */
import type { BulkItem, BulkRun } from '../../domain/bulkRun';
import type { Clock, Deadline } from '../../domain/clock';
import type { PersonRef } from '../../domain/people';
import type { RevocationRequest } from '../../domain/revocationRequest';
import { checkWindowStart, judgeSignIns, residualWindowEnd, type SignInEvent, type SignInEvidence } from '../../domain/signInEvidence';
import { auditActor, type Acting } from '../acting';
import type { AuditTrail } from '../auditTrail';
import type { DirectoryFailure } from '../ports/directory';
import { NAMESPACE } from '../ports/namespaces';
import type { StateStore } from '../ports/stateStore';
import { auditTarget } from '../revocation/requestRecords';

/** Why a check was not even tried. */
export type CheckRefusal = 'not_found' | 'wrong_tenant' | 'not_revoked';

/** What became of a check. */
export type CheckOutcome<T> =
  | { readonly kind: 'checked'; readonly evidence: T }
  /** Graph or Entra refused or failed (403 with the roles, no consent, no licence…). */
  | { readonly kind: 'failed'; readonly failure: DirectoryFailure }
  | { readonly kind: 'refused'; readonly problem: CheckRefusal };

/** A single request's check: the request (for the target) and what the logs say. */
export interface RequestEvidence {
  readonly request: RevocationRequest;
  readonly signIns: SignInEvidence;
}

/** What a run's check found for one user. */
export interface UserCheck {
  readonly checkedAt: string;
  readonly verdict: SignInEvidence['verdict'];
  readonly successes: number;
  readonly failures: number;
  /** The newest success after the revoke, to name when and where. */
  readonly lastSuccess?: SignInEvent;
  readonly truncated: boolean;
}

/** What the checks of a run found so far, by user id (stored by run id). */
interface RunChecks {
  readonly runId: string;
  readonly users: Record<string, UserCheck>;
}

/** A user who signed in successfully after the run revoked them. */
export interface RunSuccess {
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly lastSuccess?: SignInEvent;
  readonly successes: number;
}

/** A run's check, summarised for its card. */
export interface RunEvidence {
  readonly run: BulkRun;
  readonly checkedAt: string;
  /** Users the run revoked. */
  readonly revoked: number;
  /** Of them, those whose logs have been read (now or by an earlier check). */
  readonly checked: number;
  /** Users with a success after their revoke. */
  readonly succeeded: readonly RunSuccess[];
  /** Users with failed attempts only. */
  readonly failedOnly: number;
  /** When the last access token issued before the run's last revoke expires. */
  readonly residualWindowEndsAt?: string;
  /** Why some users' logs could not be read this time. */
  readonly failure?: DirectoryFailure;
}

export interface SignInChecksOptions {
  readonly store: StateStore;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  /** MAX_ACCESS_TOKEN_LIFETIME_MINUTES: the residual window after a revoke. */
  readonly maxAccessTokenLifetimeInMs: number;
  /** Rows read per user at most (single check). */
  readonly maxEventsPerUser?: number;
}

/** Requests in one JSON batch of a run's check: the sign-in log's documented quota is 5 requests per 10 seconds per app and tenant. */
export const SIGN_IN_BATCH_SIZE = 5;

/**
 * The revoke instant a check compares sign-ins with: the valid-from time Entra stamped (read back
 * after the revoke, so it is Entra's clock, not ours) when the read-back verified it, else the time
 * the revoke returned.
 */
export function revokedAtOf(request: RevocationRequest): Date | undefined {
  const outcome = request.outcome;
  if (request.state !== 'succeeded' || outcome?.kind !== 'revoked') return undefined;
  const at = Date.parse(outcome.verified && outcome.validFromAfter ? outcome.validFromAfter : outcome.at);
  return Number.isFinite(at) ? new Date(at) : undefined;
}

function revokedItems(run: BulkRun): (BulkItem & { completedAt: string })[] {
  return run.items.filter((i): i is BulkItem & { completedAt: string } => i.status === 'revoked' && i.completedAt !== undefined);
}

export class SignInChecks {
  constructor(private readonly options: SignInChecksOptions) {}

  /** Reads the target's sign-ins since the request's revoke. */
  async checkRequest(acting: Acting, requestId: string, options: { deadline?: Deadline } = {}): Promise<CheckOutcome<RequestEvidence>> {
    const stored = await this.options.store.get<RevocationRequest>(NAMESPACE.requests, requestId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const request = stored.value;
    if (request.tenantId.toLowerCase() !== acting.person.tenantId.toLowerCase()) return { kind: 'refused', problem: 'wrong_tenant' };
    const revokedAt = revokedAtOf(request);
    if (!revokedAt) return { kind: 'refused', problem: 'not_revoked' };
    const read = acting.evidence
      ? await acting.evidence.listSignIns(
          { userId: request.target.id, since: checkWindowStart(revokedAt) },
          { deadline: options.deadline, maxEvents: this.options.maxEventsPerUser ?? 500 },
        )
      : { ok: false as const, error: { code: 'unexpected' as const } };
    const actor = auditActor(acting.person);
    if (!read.ok) {
      await this.options.audit.after({
        tenantId: acting.person.tenantId,
        action: 'signins.checked',
        outcome: 'failed',
        actor,
        target: auditTarget(request.target),
        requestId,
        code: read.error.code,
        graphRequestId: read.error.graphRequestId,
      });
      return { kind: 'failed', failure: read.error };
    }
    const signIns = judgeSignIns({
      userId: request.target.id,
      events: read.value.events,
      revokedAt,
      checkedAt: this.options.clock.now(),
      maxAccessTokenLifetimeInMs: this.options.maxAccessTokenLifetimeInMs,
      truncated: read.value.truncated,
    });
    await this.options.audit.after({
      tenantId: acting.person.tenantId,
      action: 'signins.checked',
      outcome: 'ok',
      actor,
      target: auditTarget(request.target),
      requestId,
      detail: `${signIns.verdict}: ${signIns.successes.length} succeeded, ${signIns.failures.length} failed since ${signIns.revokedAt}`,
    });
    return { kind: 'checked', evidence: { request, signIns } };
  }

  /**
   * Reads the sign-ins of the users a run revoked, each since their own revoke: users never read
   * first, then those read longest ago, until the deadline. What earlier checks found is kept.
   */
  async checkRun(acting: Acting, runId: string, options: { deadline?: Deadline } = {}): Promise<CheckOutcome<RunEvidence>> {
    const stored = await this.options.store.get<BulkRun>(NAMESPACE.bulkRuns, runId);
    if (!stored) return { kind: 'refused', problem: 'not_found' };
    const run = stored.value;
    if (run.tenantId.toLowerCase() !== acting.person.tenantId.toLowerCase()) return { kind: 'refused', problem: 'wrong_tenant' };
    const items = revokedItems(run);
    if (items.length === 0) return { kind: 'refused', problem: 'not_revoked' };
    if (!acting.evidence) return { kind: 'failed', failure: { code: 'unexpected' } };
    const earlier = (await this.options.store.get<RunChecks>(NAMESPACE.signInChecks, runId))?.value.users ?? {};
    const order = [...items].sort((a, b) => (earlier[a.id]?.checkedAt ?? '').localeCompare(earlier[b.id]?.checkedAt ?? ''));
    const read = await acting.evidence.listSignInsMany(
      order.map((item) => ({ userId: item.id, since: checkWindowStart(new Date(item.completedAt)) })),
      { deadline: options.deadline, batchSize: SIGN_IN_BATCH_SIZE, maxEvents: 100 },
    );
    const now = this.options.clock.now();
    const users: Record<string, UserCheck> = { ...earlier };
    let failure: DirectoryFailure | undefined;
    for (const item of order) {
      const result = read.get(item.id);
      if (!result) continue;
      if (!result.ok) {
        failure ??= result.error;
        continue;
      }
      const judged = judgeSignIns({
        userId: item.id,
        events: result.value.events,
        revokedAt: new Date(item.completedAt),
        checkedAt: now,
        maxAccessTokenLifetimeInMs: this.options.maxAccessTokenLifetimeInMs,
        truncated: result.value.truncated,
      });
      users[item.id] = {
        checkedAt: judged.checkedAt,
        verdict: judged.verdict,
        successes: judged.successes.length,
        failures: judged.failures.length,
        ...(judged.successes[0] ? { lastSuccess: judged.successes[0] } : {}),
        truncated: judged.truncated,
      };
    }
    const readNow = order.filter((item) => read.get(item.id)?.ok === true).length;
    if (readNow === 0 && failure) {
      await this.auditRun(acting.person, run, 'failed', failure.code, undefined);
      return { kind: 'failed', failure };
    }
    await this.saveChecks(runId, users, this.options.clock.now());
    const evidence = summariseRun(run, items, users, now, this.options.maxAccessTokenLifetimeInMs, failure);
    await this.auditRun(
      acting.person,
      run,
      'ok',
      undefined,
      `${readNow} read now, ${evidence.checked} of ${evidence.revoked} checked; ${evidence.succeeded.length} with a success after the revoke`,
    );
    return { kind: 'checked', evidence };
  }

  private async auditRun(
    person: PersonRef,
    run: BulkRun,
    outcome: 'ok' | 'failed',
    code: string | undefined,
    detail: string | undefined,
  ): Promise<void> {
    await this.options.audit.after({
      tenantId: person.tenantId,
      action: 'signins.checked',
      outcome,
      actor: auditActor(person),
      requestId: run.id,
      ...(code ? { code } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  /** Keeps what this check found; a concurrent check's findings are merged, never lost. */
  private async saveChecks(runId: string, found: Record<string, UserCheck>, now: Date): Promise<void> {
    const expiresAt = new Date(now.getTime() + 30 * 24 * 3600_000);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.options.store.get<RunChecks>(NAMESPACE.signInChecks, runId);
      const users = { ...(current?.value.users ?? {}) };
      for (const [id, check] of Object.entries(found)) if ((users[id]?.checkedAt ?? '') <= check.checkedAt) users[id] = check;
      const value: RunChecks = { runId, users };
      const saved = current
        ? await this.options.store.replace(NAMESPACE.signInChecks, runId, value, current.etag, { expiresAt })
        : await this.options.store.create(NAMESPACE.signInChecks, runId, value, { expiresAt });
      if (saved.ok) return;
    }
  }
}

function summariseRun(
  run: BulkRun,
  items: readonly (BulkItem & { completedAt: string })[],
  users: Readonly<Record<string, UserCheck>>,
  now: Date,
  maxAccessTokenLifetimeInMs: number,
  failure: DirectoryFailure | undefined,
): RunEvidence {
  const checked = items.flatMap((item) => {
    const found = users[item.id];
    return found === undefined ? [] : [{ item, found }];
  });
  const succeeded = checked
    .filter(({ found }) => found.verdict === 'succeeded')
    .map(({ item, found }) => ({
      displayName: item.displayName,
      userPrincipalName: item.userPrincipalName,
      successes: found.successes,
      ...(found.lastSuccess ? { lastSuccess: found.lastSuccess } : {}),
    }));
  const lastRevoke = Math.max(...items.map((item) => Date.parse(item.completedAt)).filter(Number.isFinite));
  return {
    run,
    checkedAt: now.toISOString(),
    revoked: items.length,
    checked: checked.length,
    succeeded,
    failedOnly: checked.filter(({ found }) => found.verdict === 'failedOnly').length,
    ...(Number.isFinite(lastRevoke)
      ? { residualWindowEndsAt: residualWindowEnd(new Date(lastRevoke), maxAccessTokenLifetimeInMs).toISOString() }
      : {}),
    ...(failure ? { failure } : {}),
  };
}
