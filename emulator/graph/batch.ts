/**
 * JSON batching (POST /v1.0/$batch, docs/graph-protocol.md): validation of the whole batch (any problem
 * fails it with 400 and runs nothing) and execution of its steps, in parallel unless a step
 * names others in dependsOn (then it waits, and fails with 424 if one of them failed).
 */
import { failure, type GraphError } from './responses';

/** Graph's limit of requests per batch. */
export const MAX_BATCH_REQUESTS = 20;

/** One validated step. Header names are lower-case. */
export interface BatchStep {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly dependsOn: readonly string[];
}

/** A step's answer as it appears in the batch response. */
export interface BatchStepResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

type Validated = { readonly ok: true; readonly steps: BatchStep[] } | { readonly ok: false; readonly error: GraphError };

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT']);
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

function invalid(message: string): { ok: false; error: GraphError } {
  return { ok: false, error: failure(400, 'BadRequest', message) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Validates a batch body; every rule here fails the whole batch, as Graph does. */
export function parseBatch(body: Buffer): Validated {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return invalid('Invalid batch payload format.');
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.requests)) return invalid('Invalid batch payload format.');
  const requests: unknown[] = parsed.requests;
  if (requests.length === 0) return invalid('Invalid batch payload format: the batch has no requests.');
  if (requests.length > MAX_BATCH_REQUESTS)
    return invalid(`Number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH_REQUESTS}.`);
  const steps: BatchStep[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    if (!isRecord(request)) return invalid('Invalid batch payload format.');
    const { id, method, url, headers, body: stepBody, dependsOn } = request;
    if (typeof id !== 'string' || id.length === 0) return invalid("Invalid batch payload format: every request needs a string 'id'.");
    if (seen.has(id.toLowerCase())) return invalid(`Batch request contains duplicate request id '${id}'.`);
    seen.add(id.toLowerCase());
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase()))
      return invalid(`Request id : ${id} has a missing or invalid 'method'.`);
    if (typeof url !== 'string' || url.length === 0) return invalid(`Request id : ${id} has a missing 'url'.`);
    if (headers !== undefined && !isRecord(headers)) return invalid(`Request id : ${id} has invalid 'headers'.`);
    const stepHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (typeof value !== 'string') return invalid(`Request id : ${id} has a non-string header '${name}'.`);
      stepHeaders[name.toLowerCase()] = value;
    }
    const hasBody = stepBody !== undefined && stepBody !== null;
    // Observed Graph behaviour: a write without a body or Content-Type fails the whole batch.
    if ((WRITE_METHODS.has(method.toUpperCase()) || hasBody) && (!hasBody || stepHeaders['content-type'] === undefined)) {
      return invalid(`Write request id : ${id} does not contain Content-Type header or body.`);
    }
    let bodyBytes = Buffer.alloc(0);
    if (hasBody) bodyBytes = typeof stepBody === 'string' ? Buffer.from(stepBody, 'base64') : Buffer.from(JSON.stringify(stepBody), 'utf8');
    const dependencies = dependsOn === undefined ? [] : dependsOn;
    if (!Array.isArray(dependencies) || dependencies.some((d) => typeof d !== 'string'))
      return invalid(`Request id : ${id} has an invalid 'dependsOn'.`);
    for (const dependency of dependencies as string[]) {
      // Only earlier steps may be named, which also rules out cycles.
      if (!steps.some((s) => s.id.toLowerCase() === dependency.toLowerCase()))
        return invalid(`Request id : ${id} depends on '${dependency}', which is not an earlier request in the batch.`);
    }
    steps.push({ id, method: method.toUpperCase(), url, headers: stepHeaders, body: bodyBytes, dependsOn: dependencies as string[] });
  }
  return { ok: true, steps };
}

/** Runs the steps; answers are returned in request order (Graph allows any order). */
export async function runBatch(
  steps: readonly BatchStep[],
  execute: (step: BatchStep) => Promise<BatchStepResponse>,
): Promise<BatchStepResponse[]> {
  const running = new Map<string, Promise<BatchStepResponse>>();
  const answers: Promise<BatchStepResponse>[] = [];
  for (const step of steps) {
    const prerequisites = step.dependsOn
      .map((d) => running.get(d.toLowerCase()))
      .filter((p): p is Promise<BatchStepResponse> => p !== undefined);
    const answer = (async (): Promise<BatchStepResponse> => {
      const results = await Promise.all(prerequisites);
      if (results.some((r) => r.status < 200 || r.status > 299)) {
        return {
          id: step.id,
          status: 424,
          headers: { 'Content-Type': 'application/json' },
          body: { error: { code: 'FailedDependency', message: 'Failed dependency: a request this one depends on did not succeed.' } },
        };
      }
      return execute(step);
    })();
    running.set(step.id.toLowerCase(), answer);
    answers.push(answer);
  }
  return Promise.all(answers);
}
