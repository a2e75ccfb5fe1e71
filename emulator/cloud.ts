/**
 * The whole emulated Microsoft cloud on loopback: Entra ID, Microsoft Graph, the Teams
 * channel (with its client behaviours) and the Bot Framework token service, wired to one
 * directory and one CA. The demo tenant and the end-to-end tests both run on it.
 */
import { writeFileSync } from 'node:fs';
import { Directory, seedDirectory } from './directory';
import { EmulatedEntra, type AppRegistration } from './entra';
import { EmulatedGraph, type ThrottlingOptions } from './graph';
import { EmulatedTeams } from './teams';
import { EmulatedTokenService } from './tokenService';
import { createCertificateAuthority, issueServerCertificate, type PemPair } from './tls';

/** The demo bot's app id and secret: made-up values valid only against this emulator. */
export const DEMO_BOT_APP_ID = '3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b';
export const DEMO_BOT_SECRET = 'emulated-demo-secret-not-for-production';
export const DEMO_CONNECTION_NAME = 'revoker-sso';

export interface EmulatedCloudOptions {
  /** Issue server certificates from this CA (the one the bot process trusts); a new one otherwise. */
  readonly ca?: PemPair;
  readonly directory?: Directory;
  readonly botAppId?: string;
  readonly botAppSecret?: string;
  /** Where the emulated Teams posts activities; can be changed later (teams.botEndpoint). */
  readonly botEndpoint?: string;
  readonly connectionName?: string;
  /** Delegated Graph scopes the tenant's admin consented for the bot. */
  readonly consentedGraphScopes?: string[];
  /** Graph's throttling: Microsoft's quotas by default, faster windows (`{ timeScale }`), or `false` for none. */
  readonly graphThrottling?: ThrottlingOptions | false;
}

export class EmulatedCloud {
  private constructor(
    readonly ca: PemPair,
    readonly directory: Directory,
    readonly app: AppRegistration,
    readonly connectionName: string,
    readonly entra: EmulatedEntra,
    readonly graph: EmulatedGraph,
    readonly teams: EmulatedTeams,
    readonly tokenService: EmulatedTokenService,
  ) {}

  static async start(options: EmulatedCloudOptions = {}): Promise<EmulatedCloud> {
    const ca = options.ca ?? (await createCertificateAuthority());
    const tls = await issueServerCertificate(ca);
    const directory = options.directory ?? seedDirectory();
    const appId = options.botAppId ?? DEMO_BOT_APP_ID;
    const secret = options.botAppSecret ?? DEMO_BOT_SECRET;
    const connectionName = options.connectionName ?? DEMO_CONNECTION_NAME;
    const appIdUri = `api://botid-${appId}`;
    const app: AppRegistration = {
      appId,
      secret,
      displayName: 'Session Revoker',
      appIdUri,
      consentedGraphScopes: options.consentedGraphScopes ?? [
        'User.RevokeSessions.All',
        'User.Read.All',
        'User.Read',
        'GroupMember.Read.All',
        'User.EnableDisableAccount.All',
        'User-PasswordProfile.ReadWrite.All',
        'Device.Read.All',
        'Directory.AccessAsUser.All',
        'AuditLog.Read.All',
        'IdentityRiskyUser.ReadWrite.All',
        'UserAuthenticationMethod.ReadWrite.All',
        'RoleEligibilitySchedule.Read.Directory',
      ],
      redirectUris: [],
    };
    const entra = await EmulatedEntra.start({ tls, directory, apps: [app] });
    const started: { stop(): Promise<void> }[] = [entra];
    try {
      const graph = await EmulatedGraph.start({ tls, directory, tokenKeys: entra.keys, throttling: options.graphThrottling });
      started.push(graph);
      const tokenService = await EmulatedTokenService.start({
        tls,
        entra,
        tenantId: directory.tenantId,
        botAppId: appId,
        botAppSecret: secret,
        connections: [{ name: connectionName, scope: `${appIdUri}/access_as_user` }],
      });
      started.push(tokenService);
      app.redirectUris.push(tokenService.redirectUri);
      const teams = await EmulatedTeams.start({
        tls,
        directory,
        entra,
        botAppId: appId,
        botEndpoint: options.botEndpoint ?? 'http://127.0.0.1:3978/api/messages',
        tenantId: directory.tenantId,
        signIn: (user, url) => tokenService.signInAs(user, url),
      });
      return new EmulatedCloud(ca, directory, app, connectionName, entra, graph, teams, tokenService);
    } catch (error) {
      for (const s of started.reverse()) await s.stop().catch(() => undefined);
      throw error;
    }
  }

  /**
   * The environment a bot needs to run against this cloud (the runtime contract), except
   * NODE_EXTRA_CA_CERTS: write the CA with writeCaFile and point that variable at it.
   */
  botEnvironment(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      MicrosoftAppId: this.app.appId,
      MicrosoftAppPassword: this.app.secret,
      MicrosoftAppTenantId: this.directory.tenantId,
      MicrosoftAppType: 'SingleTenant',
      ToBotFromChannelOpenIdMetadataUrl: this.teams.openIdMetadataUrl,
      ToBotFromChannelTokenIssuer: this.teams.issuer,
      ToBotFromEmulatorOpenIdMetadataUrl: `${this.entra.authorityHost}/common/v2.0/.well-known/openid-configuration`,
      ToChannelFromBotLoginUrl: `${this.entra.authorityHost}/${this.directory.tenantId}`,
      ToChannelFromBotOAuthScope: 'https://api.botframework.com',
      OAuthUrl: this.tokenService.url,
      ValidateAuthority: 'true',
      CallerId: 'urn:botframework:azure',
      AZURE_AUTHORITY_HOST: this.entra.authorityHost,
      GRAPH_ENDPOINT: this.graph.endpoint,
      GRAPH_SCOPES: 'User.RevokeSessions.All User.Read.All',
      SSO_APP_ID_URI: this.app.appIdUri ?? `api://botid-${this.app.appId}`,
      OAUTH_CONNECTION_NAME: this.connectionName,
      ALLOWED_TENANTS: this.directory.tenantId,
      ...overrides,
    };
  }

  /** Writes the CA certificate (for NODE_EXTRA_CA_CERTS); returns the path. */
  writeCaFile(path: string): string {
    writeFileSync(path, this.ca.certPem);
    return path;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.teams.stop(), this.tokenService.stop(), this.graph.stop(), this.entra.stop()]);
  }
}
