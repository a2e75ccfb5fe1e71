/**
 * Entra's error answers: the AADSTS codes the emulator uses, with Entra's wording, and the
 * exact JSON shape msal reads (error, error_description with trace/correlation/timestamp,
 * error_codes, suberror, claims). Callers key off error_codes[0] or the AADSTS number.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatedResponse } from '../httpServer';

/** One Entra refusal, before it is dressed with ids and timestamps. */
export interface EntraError {
  readonly status: 400 | 401;
  /** The OAuth error value (invalid_grant, invalid_client, ...). */
  readonly error: string;
  /** The AADSTS number. */
  readonly code: number;
  readonly text: string;
  readonly suberror?: string;
  /** A claims challenge (JSON string), for interaction_required. */
  readonly claims?: string;
}

/** The JSON body Entra answers errors with. */
export interface EntraErrorBody {
  readonly error: string;
  readonly error_description: string;
  readonly error_codes: number[];
  readonly timestamp: string;
  readonly trace_id: string;
  readonly correlation_id: string;
  readonly error_uri: string;
  readonly suberror?: string;
  readonly claims?: string;
}

const e = (
  status: 400 | 401,
  error: string,
  code: number,
  text: string,
  extra: { suberror?: string; claims?: string } = {},
): EntraError => ({
  status,
  error,
  code,
  text,
  ...extra,
});

/** The refusals the emulator gives, by what went wrong. */
export const AADSTS = {
  tenantNotFound: (tenant: string): EntraError =>
    e(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  missingParameter: (name: string): EntraError =>
    e(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  malformedRequest: (): EntraError => e(400, 'invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'),
  unsupportedGrantType: (grantType: string): EntraError =>
    e(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  grantNotOnCommon: (): EntraError =>
    e(
      400,
      'invalid_request',
      9001023,
      'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.',
    ),
  unknownClient: (clientId: string, tenant: string): EntraError =>
    e(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingClientSecret: (): EntraError =>
    e(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  clientAssertionUnsupported: (): EntraError =>
    e(401, 'invalid_client', 700027, 'Client assertion failed signature validation. (The emulated Entra accepts client secrets only.)'),
  badClientSecret: (clientId: string): EntraError =>
    e(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  malformedAssertion: (): EntraError => e(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),
  assertionKeyNotFound: (): EntraError =>
    e(400, 'invalid_grant', 50013, 'Assertion failed signature validation. [Reason - The key was not found.]'),
  assertionBadSignature: (): EntraError =>
    e(
      400,
      'invalid_grant',
      50013,
      'Assertion failed signature validation. [Reason - Key was found, but use of the key to verify the signature failed.]',
    ),
  assertionIssuer: (issuer: string): EntraError =>
    e(400, 'invalid_grant', 50013, `Assertion is invalid because the token issuer '${issuer}' is not trusted for this tenant.`),
  assertionTenant: (assertionTid: string, tenant: string): EntraError =>
    e(
      400,
      'invalid_grant',
      50013,
      `Assertion is invalid because its tenant '${assertionTid}' does not match the tenant of the request '${tenant}'.`,
    ),
  assertionNotUserToken: (): EntraError =>
    e(
      400,
      'invalid_grant',
      50013,
      'Assertion is invalid because it is not a delegated user token (it carries no scp). On-behalf-of needs a user token.',
    ),
  assertionExpired: (nowIso: string, expIso: string): EntraError =>
    e(
      400,
      'invalid_grant',
      500133,
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${nowIso}, expiry time of assertion ${expIso}.`,
    ),
  assertionAudience: (aud: string, clientId: string): EntraError =>
    e(
      400,
      'invalid_grant',
      500131,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${clientId}' or one of the Application Id URIs of this application.`,
    ),
  consentRequired: (clientId: string, displayName: string): EntraError =>
    e(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${displayName}'. Send an interactive authorization request for this user and resource.`,
      { suberror: 'consent_required' },
    ),
  mfaRequired: (resource: string, claims: string): EntraError =>
    e(
      400,
      'interaction_required',
      50076,
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource}'.`,
      { claims },
    ),
  userDisabled: (): EntraError => e(400, 'invalid_grant', 50057, 'The user account is disabled.'),
  userNotFound: (user: string, tenant: string): EntraError =>
    e(
      400,
      'invalid_grant',
      50034,
      `The user account ${user} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`,
    ),
  grantRevoked: (issuedIso: string, validFromIso: string): EntraError =>
    e(
      400,
      'invalid_grant',
      50173,
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issuedIso}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${validFromIso}'.`,
    ),
  invalidScope: (scope: string): EntraError =>
    e(
      400,
      'invalid_scope',
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ),
  scopeMultipleResources: (scope: string): EntraError =>
    e(
      400,
      'invalid_scope',
      28000,
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
    ),
  clientCredentialsScope: (scope: string): EntraError =>
    e(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (resource: string, tenant: string): EntraError =>
    e(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  invalidCode: (): EntraError => e(400, 'invalid_grant', 70000, "The provided value for the 'code' parameter is not valid."),
  invalidRefreshToken: (): EntraError =>
    e(
      400,
      'invalid_grant',
      9002313,
      "Invalid request. Request is malformed or invalid. The provided value for the 'refresh_token' parameter is not valid.",
    ),
  refreshTokenOtherClient: (): EntraError =>
    e(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed. The refresh token was issued to a different client.'),
  codeRedeemed: (): EntraError =>
    e(
      400,
      'invalid_grant',
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    ),
  codeExpired: (): EntraError =>
    e(
      400,
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    ),
  redirectMismatchOnRedeem: (): EntraError =>
    e(400, 'invalid_grant', 500112, 'The reply address does not match the reply address provided when requesting Authorization code.'),
  pkceMismatch: (): EntraError =>
    e(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  redirectUriNotRegistered: (redirectUri: string, clientId: string): EntraError =>
    e(
      400,
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    ),
  unsupportedResponseType: (responseType: string): EntraError =>
    e(400, 'unsupported_response_type', 700054, `response_type '${responseType}' is not enabled for the application.`),
  invalidParameter: (name: string, value: string): EntraError =>
    e(
      400,
      'invalid_request',
      9002313,
      `Invalid request. Request is malformed or invalid. The value '${value}' of the parameter '${name}' is not valid.`,
    ),
  loginRequired: (): EntraError => e(400, 'login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
  unknownInstance: (): EntraError => e(400, 'invalid_instance', 50049, 'Unknown or invalid instance.'),
} as const;

function timestampOf(nowInMs: number): string {
  return new Date(nowInMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Dresses an error with trace id, correlation id and timestamp, as Entra does. */
export function errorBody(error: EntraError, context: { authorityHost: string; nowInMs: number; correlationId?: string }): EntraErrorBody {
  const traceId = randomUUID();
  const correlationId = context.correlationId ?? randomUUID();
  const timestamp = timestampOf(context.nowInMs);
  return {
    error: error.error,
    error_description: `AADSTS${error.code}: ${error.text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${context.authorityHost}/error?code=${error.code}`,
    ...(error.suberror ? { suberror: error.suberror } : {}),
    ...(error.claims ? { claims: error.claims } : {}),
  };
}

/** The HTTP answer for an error on a JSON endpoint. */
export function errorResponse(
  error: EntraError,
  context: { authorityHost: string; nowInMs: number; correlationId?: string },
): EmulatedResponse {
  const body = errorBody(error, context);
  return {
    status: error.status,
    headers: {
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      'x-ms-request-id': body.trace_id,
      'client-request-id': body.correlation_id,
    },
    body,
  };
}

/** The AADSTS line Entra shows on its pages and in redirect error_description. */
export function describe(error: EntraError, context: { nowInMs: number; correlationId?: string }): string {
  return `AADSTS${error.code}: ${error.text} Trace ID: ${randomUUID()} Correlation ID: ${context.correlationId ?? randomUUID()} Timestamp: ${timestampOf(context.nowInMs)}`;
}
