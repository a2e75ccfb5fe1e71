/**
 * Graph-shaped answers: success bodies with OData JSON content type, and error bodies in the
 * exact shape Graph and the Graph JS client use ({ error: { code, message, innerError } }),
 * stamped with request ids only when the answer leaves (so $batch steps get their own).
 */

/** A handler's answer before request ids are stamped on it. */
export type GraphResult =
  | { readonly kind: 'success'; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

export type GraphError = Extract<GraphResult, { kind: 'error' }>;

export const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export function success(status: number, body?: unknown, headers?: Readonly<Record<string, string>>): GraphResult {
  return { kind: 'success', status, body, headers };
}

export function failure(status: number, code: string, message: string, headers?: Readonly<Record<string, string>>): GraphError {
  return { kind: 'error', status, code, message, headers };
}

export const INSUFFICIENT_PRIVILEGES = 'Insufficient privileges to complete the operation.';

/** 403 Authorization_RequestDenied, for a missing scope and for Entra's role rules alike. */
export function denied(): GraphError {
  return failure(403, 'Authorization_RequestDenied', INSUFFICIENT_PRIVILEGES);
}

/** 404 Request_ResourceNotFound with Graph's message. */
export function notFound(id: string): GraphError {
  return failure(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function badRequest(message: string, code = 'Request_BadRequest'): GraphError {
  return failure(400, code, message);
}

/** Error codes and messages Graph uses for statuses injected as faults. */
const FAULT_ERRORS: Readonly<Record<number, { code: string; message: string }>> = {
  400: { code: 'BadRequest', message: 'Bad request.' },
  401: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
  403: { code: 'Authorization_RequestDenied', message: INSUFFICIENT_PRIVILEGES },
  404: { code: 'Request_ResourceNotFound', message: 'Resource does not exist.' },
  429: { code: 'TooManyRequests', message: 'Please retry again later.' },
  500: { code: 'generalException', message: 'General exception while processing.' },
  502: { code: 'badGateway', message: 'Bad gateway.' },
  503: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry after a while.' },
  504: { code: 'gatewayTimeout', message: 'The gateway did not receive a timely response.' },
};

export function faultError(status: number, headers?: Readonly<Record<string, string>>): GraphError {
  const known = FAULT_ERRORS[status] ?? { code: 'UnknownError', message: `Injected status ${status}.` };
  return failure(status, known.code, known.message, headers);
}

/** Graph's innerError date: UTC, seconds precision, no zone designator. */
function innerErrorDate(at: Date): string {
  return at.toISOString().slice(0, 19);
}

/** The JSON error body Graph sends, for this request's ids. */
export function errorBody(error: GraphError, requestId: string, clientRequestId: string, at: Date = new Date()): unknown {
  const date = innerErrorDate(at);
  if (error.status === 429) {
    // Graph's throttling sample carries code, status and message inside innerError too (docs/graph-protocol.md).
    return {
      error: {
        code: error.code,
        message: error.message,
        innerError: {
          code: '429',
          date,
          message: 'Please retry after',
          'request-id': requestId,
          status: '429',
          'client-request-id': clientRequestId,
        },
      },
    };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: { date, 'request-id': requestId, 'client-request-id': clientRequestId },
    },
  };
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

/** What goes on the wire (or into a $batch step): status, lower-case headers and JSON body. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

/** Stamps ids on a result. `withIdHeaders` is false for $batch steps (the outer answer carries them). */
export function toWire(result: GraphResult, ids: { requestId: string; clientRequestId: string }, withIdHeaders = true): WireResponse {
  const headers: Record<string, string> = withIdHeaders ? { 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId } : {};
  if (result.kind === 'error') {
    if (result.status === 401) {
      headers['www-authenticate'] =
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
    }
    Object.assign(headers, lowerCaseKeys(result.headers), { 'content-type': 'application/json' });
    return { status: result.status, headers, body: errorBody(result, ids.requestId, ids.clientRequestId) };
  }
  Object.assign(headers, lowerCaseKeys(result.headers));
  if (result.body === undefined) return { status: result.status, headers };
  headers['content-type'] ??= ODATA_JSON;
  return { status: result.status, headers, body: result.body };
}
