/**
 * One POST /$batch (https://learn.microsoft.com/graph/json-batching), read raw for the outer
 * request-id, its steps by id. The client's RetryHandler may re-send the whole batch on 429 and
 * 503 (Graph refused it before running any step) while the wait fits the deadline, but never on
 * 504: a gateway time-out does not say whether the steps ran.
 */
import { ResponseType, RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import type { DirectoryResult } from '../app/ports/directory';
import { fitsBefore, msUntil, type Deadline } from '../domain/clock';
import { readBatchAnswer, type BatchStepAnswer, type BatchStepRequest } from './batchAnswers';
import { failureFromError, failureFromResponse } from './graphErrors';

export async function postBatch(
  client: Client,
  timeoutInMs: number,
  requests: readonly BatchStepRequest[],
  deadline: Deadline,
): Promise<DirectoryResult<Map<string, BatchStepAnswer>>> {
  const retry = new RetryHandlerOptions(1, 3, (_delay, _attempt, _request, _options, response) => {
    if (response.status === 504) return false;
    const after = Number(response.headers.get('retry-after') ?? '1');
    return fitsBefore(deadline, (Number.isFinite(after) ? after : 1) * 1000);
  });
  try {
    const response = (await client
      .api('/$batch')
      .middlewareOptions([retry])
      .option('signal', AbortSignal.timeout(Math.max(1, Math.min(timeoutInMs, msUntil(deadline)))))
      .responseType(ResponseType.RAW)
      .post({ requests })) as Response;
    const graphRequestId = response.headers.get('request-id') ?? undefined;
    if (!response.ok) return { ok: false, error: failureFromResponse(response.status, response.headers) };
    const body: unknown = await response.json();
    return { ok: true, value: readBatchAnswer(body), ...(graphRequestId ? { graphRequestId } : {}) };
  } catch (error) {
    return { ok: false, error: failureFromError(error) };
  }
}
