/**
 * Building Graph clients for one delegated credential, and running one request with a
 * deadline: the client's RetryHandler honours Retry-After for 429/503/504 only while the wait
 * still fits before the deadline, and each attempt has a time-out.
 */
import type { TokenCredential } from '@azure/identity';
import { Client, MiddlewareFactory, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { CallOptions, DirectoryFailure, DirectoryResult } from '../app/ports/directory';
import { deadlineIn, fitsBefore, msUntil } from '../domain/clock';
import { challengeListenerOf, ClaimsChallengeHandler } from './claimsChallenge';
import { failureFromError } from './graphErrors';
import { GraphTelemetryHandler } from './graphTelemetry';
import type { Telemetry } from '../observability/telemetry';

export type GraphRequestFor = (path: string) => ReturnType<Client['api']>;

/**
 * A Graph client that sends the credential's token (for these scopes) to GRAPH_ENDPOINT's host:
 * the SDK's default middleware chain, plus, right after authentication, a handler that tells the
 * credential of Graph's claims challenges (src/graph/claimsChallenge.ts) when it listens for them,
 * and, with telemetry, one right before the HTTP handler that makes each attempt a span
 * (src/graph/graphTelemetry.ts).
 */
export function createGraphClient(
  credential: TokenCredential,
  graphEndpoint: string,
  scopes: readonly string[],
  telemetry?: Telemetry,
): Client {
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(
    new TokenCredentialAuthenticationProvider(credential, { scopes: [...scopes] }),
  );
  const listener = challengeListenerOf(credential);
  if (listener) middleware.splice(1, 0, new ClaimsChallengeHandler(listener));
  if (telemetry) middleware.splice(middleware.length - 1, 0, new GraphTelemetryHandler(telemetry));
  return Client.initWithMiddleware({
    middleware,
    baseUrl: `${graphEndpoint}/`,
    defaultVersion: 'v1.0',
    // The client attaches the token only to Graph hosts it knows, or to these.
    customHosts: new Set([new URL(graphEndpoint).hostname]),
  });
}

/** Runs Graph requests under one deadline; errors become DirectoryFailure values. */
export async function graphCall<T>(
  client: Client,
  timeoutInMs: number,
  options: CallOptions | undefined,
  run: (req: GraphRequestFor) => Promise<DirectoryResult<T>>,
): Promise<DirectoryResult<T>> {
  const deadline = options?.deadline ?? deadlineIn(3 * timeoutInMs);
  const retry = new RetryHandlerOptions(1, 3, (delayInSeconds: number) => fitsBefore(deadline, delayInSeconds * 1000));
  const req: GraphRequestFor = (path) =>
    client
      .api(path)
      .middlewareOptions([retry])
      .option('signal', AbortSignal.timeout(Math.max(1, Math.min(timeoutInMs, msUntil(deadline)))));
  // The signals reach the fetches only: getting the token (Entra, with @azure/identity's own
  // retries) is not bounded by them, so the whole call is bounded by the deadline. A request
  // whose token arrives after that is never sent: its signal has fired by then.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<DirectoryResult<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: { code: 'timeout' } }), Math.max(msUntil(deadline), timeoutInMs) + 50);
  });
  try {
    return await Promise.race([run(req), timedOut]);
  } catch (error) {
    const failure: DirectoryFailure = failureFromError(error);
    return { ok: false, error: failure };
  } finally {
    clearTimeout(timer);
  }
}
