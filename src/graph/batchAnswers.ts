/**
 * Reading Graph JSON batch answers (docs/graph-protocol.md) and the membership lists inside them. Pure and
 * defensive: a step missing from the answer, or one Graph answered oddly, becomes a failure for
 * that user only, never a thrown error.
 */
import type { DirectoryFailure, ItemOutcome, Memberships, RoleRecord } from '../app/ports/directory';
import { failureFromResponse } from './graphErrors';
import { isRecord } from '../domain/json';

/** Graph's limit of requests per $batch. */
export const MAX_BATCH_REQUESTS = 20;

export interface BatchStepRequest {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Record<string, never>;
}

/** One step's answer: status, headers (any case) and body, as Graph returns them in `responses`. */
export interface BatchStepAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Header lookup ignoring case (Graph writes Retry-After; proxies may not). */
function headerReader(raw: unknown): { get(name: string): string | null } {
  const entries = isRecord(raw) ? Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string') : [];
  return { get: (name) => entries.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1] ?? null };
}

/** The steps of a batch answer by step id; steps that are not well-formed are left out. */
export function readBatchAnswer(body: unknown): Map<string, BatchStepAnswer> {
  const result = new Map<string, BatchStepAnswer>();
  const responses = isRecord(body) && Array.isArray(body.responses) ? body.responses : [];
  for (const step of responses) {
    if (!isRecord(step) || typeof step.id !== 'string' || typeof step.status !== 'number') continue;
    result.set(step.id, { status: step.status, headers: headerReader(step.headers), body: step.body });
  }
  return result;
}

/** The request-id Graph gave a step: its header if any, else innerError['request-id'] of an error body. */
export function stepRequestId(step: BatchStepAnswer): string | undefined {
  const header = str(step.headers.get('request-id'));
  if (header) return header;
  const error = isRecord(step.body) && isRecord(step.body.error) ? step.body.error : undefined;
  const inner = error && isRecord(error.innerError) ? error.innerError : error && isRecord(error.innererror) ? error.innererror : undefined;
  return inner ? str(inner['request-id']) : undefined;
}

/**
 * A step's failure with its own status, Retry-After and request-id. A step Graph did not answer
 * at all is `unexpected` (whether it ran is unknown).
 */
export function stepFailure(step: BatchStepAnswer | undefined): DirectoryFailure {
  if (!step) return { code: 'unexpected' };
  const failure = failureFromResponse(step.status, step.headers, step.body);
  const graphRequestId = stepRequestId(step);
  return { ...failure, ...(graphRequestId ? { graphRequestId } : {}) };
}

/** A revoke step's outcome: any 2xx is success (Graph documents 200 {value:true}; 204 once). */
export function revokeOutcome(step: BatchStepAnswer | undefined): ItemOutcome {
  if (step && step.status >= 200 && step.status <= 299) {
    const graphRequestId = stepRequestId(step);
    return { ok: true, status: step.status, ...(graphRequestId ? { graphRequestId } : {}) };
  }
  return { ok: false, error: stepFailure(step) };
}

/**
 * Memberships from a transitiveMemberOf page: directory roles by template id, and whether any
 * group is role-assignable (which makes the user a privileged target).
 */
export function readMemberships(body: unknown): Memberships {
  const items = isRecord(body) && Array.isArray(body.value) ? body.value : [];
  const roles: RoleRecord[] = [];
  let inRoleAssignableGroup = false;
  for (const item of items) {
    if (!isRecord(item)) continue;
    const type = str(item['@odata.type']);
    const templateId = str(item.roleTemplateId);
    if (type === '#microsoft.graph.directoryRole' && templateId) {
      roles.push({ templateId: templateId.toLowerCase(), displayName: str(item.displayName) ?? 'Unnamed role' });
    } else if (type === '#microsoft.graph.group' && item.isAssignableToRole === true) {
      inRoleAssignableGroup = true;
    }
  }
  return { roles, inRoleAssignableGroup };
}
