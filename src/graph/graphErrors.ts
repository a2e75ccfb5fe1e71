/**
 * Maps what the Graph client and @azure/identity throw onto DirectoryFailure codes.
 * @azure/identity hands Entra's answer over only as message text (docs/on-behalf-of.md), so the
 * AADSTS code is read from it; that is the one place we look into a message.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { DirectoryFailure, DirectoryFailureCode } from '../app/ports/directory';

const AADSTS: readonly [RegExp, DirectoryFailureCode][] = [
  [/AADSTS(65001|65004)\b/, 'consent_required'],
  [/AADSTS(50076|50079|50074|50158|53003|53000)\b/, 'interaction_required'],
  [/AADSTS(500133|50173|50132|70008|50057)\b/, 'sign_in_expired'],
  [/AADSTS(50013|500131|50012)\b/, 'token_invalid'],
  [/AADSTS(7000215|7000222|700016|90002|70011|90009|700024)\b/, 'bot_misconfigured'],
];

function byStatus(status: number): DirectoryFailureCode {
  if (status === 400) return 'bad_request';
  if (status === 401) return 'sign_in_expired';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'throttled';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'graph_unavailable';
  return 'unexpected';
}

function retryAfter(headers: unknown): number | undefined {
  const get = (headers as { get?: (name: string) => string | null } | undefined)?.get;
  if (typeof get !== 'function') return undefined;
  const header = (name: string): string | null => get.call(headers, name);
  const raw = header('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  // An HTTP-date is read against the response's own Date header, so neither our clock nor its
  // skew from Graph's matters; without one the wait is unknown and the caller's default applies.
  const at = Date.parse(raw);
  const sent = Date.parse(header('date') ?? '');
  return Number.isFinite(at) && Number.isFinite(sent) ? Math.max(0, (at - sent) / 1000) : undefined;
}

/**
 * Graph's error code (and, where Microsoft documents no code of its own for a licence refusal,
 * its message) can say more than the status: a tenant without the licence a feature needs, or a
 * token without the permission, answer 403 too. Reporting APIs without Entra ID P1/P2:
 * Authentication_RequestFromNonPremiumTenantOrB2CTenant; PIM without P2: AadPremiumLicenseRequired;
 * Identity Protection without P2: "Your tenant is not licensed for this feature." (docs/evidence.md).
 */
function refineByGraphCode(status: number, code: string | undefined, message: string | undefined): DirectoryFailureCode | undefined {
  if (status !== 400 && status !== 403) return undefined;
  if (code === 'Authentication_RequestFromNonPremiumTenantOrB2CTenant' || code === 'AadPremiumLicenseRequired') return 'not_licensed';
  if (status === 403 && code === 'Authentication_MSGraphPermissionMissing') return 'consent_required';
  if (status === 403 && /\bnot licensed\b|\bpremium licen[cs]e\b/i.test(message ?? '')) return 'not_licensed';
  return undefined;
}

/** Graph's error code and message from an error body ({ error: { code, message } }), if any. */
function graphErrorOf(body: unknown): { code?: string; message?: string } {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

function fromMessage(message: string): DirectoryFailureCode | undefined {
  for (const [pattern, code] of AADSTS) if (pattern.test(message)) return code;
  return undefined;
}

/** A non-2xx Graph response read raw (status and headers, and its error body when there is one). */
export function failureFromResponse(status: number, headers: { get(name: string): string | null }, body?: unknown): DirectoryFailure {
  const graph = graphErrorOf(body);
  return {
    code: refineByGraphCode(status, graph.code, graph.message) ?? byStatus(status),
    status,
    graphRequestId: headers.get('request-id') ?? undefined,
    retryAfterInSeconds: retryAfter(headers),
  };
}

export function failureFromError(error: unknown): DirectoryFailure {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';
  // The Graph client wraps an aborted fetch in a GraphError (statusCode -1) whose code is the abort's name.
  const code = (error as { code?: unknown } | undefined)?.code;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    /aborted|timed? ?out/i.test(name) ||
    code === 'TimeoutError' ||
    code === 'AbortError'
  )
    return { code: 'timeout' };
  if (error instanceof GraphError && error.statusCode > 0) {
    return {
      code: refineByGraphCode(error.statusCode, error.code ?? undefined, error.message) ?? byStatus(error.statusCode),
      status: error.statusCode,
      graphRequestId: error.requestId ?? undefined,
      retryAfterInSeconds: retryAfter(error.headers),
    };
  }
  // Credential errors arrive as themselves or wrapped by the Graph client with the same message.
  const fromEntra = fromMessage(message);
  if (fromEntra) return { code: fromEntra };
  if (name === 'CredentialUnavailableError' || /ECONNREFUSED|ECONNRESET|ENOTFOUND|fetch failed|socket|certificate|TLS/i.test(message)) {
    // CredentialUnavailableError: the authority could not be reached or resolved.
    return { code: 'graph_unavailable' };
  }
  if (name === 'AuthenticationRequiredError') return { code: 'sign_in_expired' };
  // Entra itself failed (5xx after @azure/identity's own retries), without an AADSTS code we know.
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (name === 'AuthenticationError' && typeof status === 'number' && status >= 500) return { code: 'graph_unavailable' };
  return { code: 'unexpected' };
}
