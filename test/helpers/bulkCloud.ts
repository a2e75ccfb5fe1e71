/**
 * The bulk engine against the emulated cloud, without a bot: a person's delegated directory built
 * the bot's way (config from the runtime environment, DelegatedSessions → OnBehalfOfCredential →
 * GraphDirectory, the real SDKs), and per-user counts read from the emulated Graph's call log.
 */
import type { BulkDirectoryGateway } from '../../src/app/ports/directory';
import { supportsBulk } from '../../src/app/ports/directory';
import { readConfig, type Config } from '../../src/config/config';
import type { EmulatedCloud } from '../../emulator/cloud';
import { GRAPH_ROUTES } from '../../emulator/graph';
import { GraphContainment } from '../../src/graph/graphContainment';
import { GraphDirectory } from '../../src/graph/graphDirectory';
import { DelegatedSessions, type DelegatedSession } from '../../src/identity/delegatedSessions';
import { systemClock } from '../../src/domain/clock';

/** What a bulk run needs delegated: revoke, read users (and their memberships), read group members. */
export const BULK_GRAPH_SCOPES = ['User.RevokeSessions.All', 'User.Read.All', 'GroupMember.Read.All', 'User.Read'];

/** The bot's configuration for this cloud, asking for the bulk scopes. */
export function bulkConfig(cloud: EmulatedCloud, dataDir: string): Config {
  const read = readConfig(
    cloud.botEnvironment({ DATA_DIR: dataDir, GRAPH_SCOPES: 'User.RevokeSessions.All User.Read.All GroupMember.Read.All' }),
  );
  if (!read.ok) throw new Error(`bad config: ${read.problems.join('; ')}`);
  return read.config;
}

/**
 * A fresh delegated session for one person of the directory (a new SSO token, a new OBO
 * credential: what the bot has after the person signs in again), with directory and containment.
 */
export async function delegatedSession(cloud: EmulatedCloud, config: Config, who: string): Promise<DelegatedSession> {
  const user = cloud.directory.user(who);
  const sso = await cloud.entra.issueSsoToken(user.id, { appId: cloud.app.appId });
  const sessions = new DelegatedSessions({
    authorityHost: config.authorityHost,
    appId: config.appId,
    appPassword: config.appPassword,
    clock: systemClock,
    makeGateway: (credential) =>
      new GraphDirectory(credential, {
        graphEndpoint: config.graphEndpoint,
        scopes: config.graphScopes,
        requestTimeoutInMs: config.graphTimeoutInMs,
      }),
    makeContainment: (credential) =>
      new GraphContainment(credential, {
        graphEndpoint: config.graphEndpoint,
        scopes: config.containmentScopes,
        deviceScopes: config.deviceScopes,
        riskScopes: config.riskScopes,
        authMethodScopes: config.authMethodScopes,
        requestTimeoutInMs: config.graphTimeoutInMs,
      }),
  });
  return sessions.open(
    {
      tenantId: cloud.directory.tenantId,
      aadObjectId: user.id,
      name: user.displayName,
      userPrincipalName: user.userPrincipalName,
      expiresAt: Math.floor(systemClock.now().getTime() / 1000) + 3600,
    },
    sso,
  );
}

/** The bulk directory of a fresh delegated session (see delegatedSession). */
export async function delegatedBulkDirectory(cloud: EmulatedCloud, config: Config, who: string): Promise<BulkDirectoryGateway> {
  const session = await delegatedSession(cloud, config, who);
  if (!supportsBulk(session.directory)) throw new Error('GraphDirectory does not serve bulk runs');
  return session.directory;
}

/** Per user id: the statuses of every revokeSignInSessions Graph ran for them (inside $batch or not). */
export function revokeStatusesByUser(cloud: EmulatedCloud): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const call of cloud.graph.server.calls) {
    if (call.route !== GRAPH_ROUTES.revoke) continue;
    const id = /\/users\/([^/]+)\/revokeSignInSessions/i.exec(call.path)?.[1]?.toLowerCase();
    if (!id) continue;
    result.set(id, [...(result.get(id) ?? []), call.status]);
  }
  return result;
}

/** How many revokes Graph carried out for this user (2xx answers). */
export function successfulRevokes(statuses: Map<string, number[]>, id: string): number {
  return (statuses.get(id.toLowerCase()) ?? []).filter((s) => s >= 200 && s <= 299).length;
}
