/**
 * Continuous Access Evaluation as Microsoft Graph does it for a CAE-capable client (its token
 * carries `xms_cc: ["cp1"]`): a token issued before the user's sessions were revoked
 * (signInSessionsValidFromDateTime), or presented while the account is disabled, is answered with
 * 401 and a claims challenge instead of being honoured until it expires. Tokens of clients that
 * did not declare cp1 keep working until `exp`, as Graph does.
 * https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
import type { DirectoryUser } from '../directory';
import type { GraphCaller } from './auth';
import { failure, type GraphError } from './responses';

/** Graph's own application id, as its challenges name it. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

function challenge(code: string, notBeforeInSeconds: number): GraphError {
  const message = `Continuous access evaluation resulted in challenge with result: InteractionRequired and code: ${code}`;
  // "Give me a token issued at or after this instant", base64 as Graph sends it.
  const claims = Buffer.from(
    JSON.stringify({ access_token: { nbf: { essential: true, value: String(notBeforeInSeconds) } } }),
    'utf8',
  ).toString('base64');
  const header = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}", error_description="${message}", error="insufficient_claims", claims="${claims}"`;
  return failure(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': header });
}

/**
 * The claims challenge for this caller, or undefined when the token is still good: only delegated
 * tokens of cp1 clients are evaluated. Entra compares whole seconds, so a token from the same
 * second as the revocation still counts (as the emulated Entra does for grants).
 */
export function continuousAccessChallenge(caller: GraphCaller, user: DirectoryUser | undefined, now: Date): GraphError | undefined {
  if (caller.kind !== 'user' || !caller.clientCapabilities.includes('cp1') || !user) return undefined;
  if (!user.accountEnabled) return challenge('UserDisabled', Math.floor(now.getTime() / 1000));
  const validFromInMs = Date.parse(user.signInSessionsValidFromDateTime);
  const validFromInSeconds = Number.isNaN(validFromInMs) ? 0 : Math.floor(validFromInMs / 1000);
  if (caller.issuedAtInSeconds < validFromInSeconds) return challenge('TokenIssuedBeforeRevocationTimestamp', validFromInSeconds);
  return undefined;
}
