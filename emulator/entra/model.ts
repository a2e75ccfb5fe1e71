/**
 * Shared types and constants of the emulated Entra ID: app registrations, the options it
 * starts with, the route names it records calls under, and how a tenant path segment
 * (`/{tenant}/...`) resolves.
 */
import type { Directory } from '../directory';
import type { SigningKeySet } from '../signingKeys';
import type { PemPair } from '../tls';

/** The Bot Framework's own tenant: MultiTenant bots ask for connector tokens at /botframework.com. */
export const BOTFRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';
/** Teams desktop & mobile: the client that asks Entra for the SSO token (its azp). */
export const TEAMS_DESKTOP_CLIENT_ID = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
/** Microsoft Graph's resource URI (the aud of Graph tokens). */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Microsoft Graph's application id, which Entra also accepts as its resource name. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The Guest User role template id Entra puts in a guest's wids instead of the default user role. */
export const GUEST_USER_ROLE = '10dae51f-b6af-4016-8d66-8c2a99b929b3';

/** Names under which the emulated Entra records calls in `server.calls`. */
export const ENTRA_ROUTE = {
  instanceDiscovery: 'instance-discovery',
  /** v2 and v1 OpenID metadata documents. */
  openIdConfiguration: 'openid-configuration',
  /** v2 and v1 key sets. */
  keys: 'keys',
  token: 'token',
  authorize: 'authorize',
  logout: 'logout',
  errorPage: 'error-page',
} as const;
export type EntraRouteName = (typeof ENTRA_ROUTE)[keyof typeof ENTRA_ROUTE];

export interface AppRegistration {
  /** Client id (GUID) = the bot's MicrosoftAppId. */
  readonly appId: string;
  readonly secret: string;
  readonly displayName: string;
  /** e.g. api://botid-{appId} */
  readonly appIdUri?: string;
  /** Delegated Graph scopes admin-consented for this app (names without the https://graph.microsoft.com/ prefix). OBO asking for others → AADSTS65001. */
  consentedGraphScopes: string[];
  /** Redirect URIs allowed for the authorization-code flow (e.g. the token service's callback). */
  redirectUris: string[];
}

export interface EmulatedEntraOptions {
  readonly tls: PemPair;
  readonly directory: Directory;
  readonly apps: AppRegistration[];
  /** Lifetime of every token it issues unless asked otherwise; default 3600. */
  readonly tokenLifetimeInSeconds?: number;
  /** The clock Entra reads (ms since the epoch); default Date.now. Lets tests move time without fake timers. */
  readonly nowInMs?: () => number;
  /** Listen on this port (default: a free one). */
  readonly port?: number;
}

/** What a `/{tenant}/` path segment names. */
export type TenantRef =
  /** The directory's tenant, by id or by domain. */
  | { readonly kind: 'home'; readonly segment: string; readonly tid: string }
  /** botframework.com (or its id): where MultiTenant bots get connector tokens. */
  | { readonly kind: 'botframework'; readonly segment: string; readonly tid: string }
  /** common / organizations: the tenant comes from the user. */
  | { readonly kind: 'multi'; readonly segment: 'common' | 'organizations' };

/** Resolves a tenant path segment; undefined for a tenant this Entra doesn't know (→ AADSTS90002). */
export function resolveTenant(segment: string, directory: Directory): TenantRef | undefined {
  const s = segment.toLowerCase();
  if (s === directory.tenantId.toLowerCase() || s === directory.domain.toLowerCase()) {
    return { kind: 'home', segment, tid: directory.tenantId };
  }
  if (s === 'botframework.com' || s === BOTFRAMEWORK_TENANT_ID) return { kind: 'botframework', segment, tid: BOTFRAMEWORK_TENANT_ID };
  if (s === 'common' || s === 'organizations') return { kind: 'multi', segment: s };
  return undefined;
}

/** The state every part of the emulated Entra works on. */
export interface EntraContext {
  /** https://127.0.0.1:<port>, no trailing slash. */
  readonly authorityHost: () => string;
  readonly directory: Directory;
  /** Registered apps by lower-cased appId. The registrations are the caller's objects, read live. */
  readonly apps: Map<string, AppRegistration>;
  readonly keys: SigningKeySet;
  readonly nowInMs: () => number;
  readonly tokenLifetimeInSeconds: number;
  readonly codes: Map<string, CodeGrant>;
  readonly refreshTokens: Map<string, RefreshGrant>;
}

/** What an authorization code stands for (kept in memory until redeemed or expired). */
export interface CodeGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly userId: string;
  readonly tid: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: 'S256' | 'plain';
  readonly claims?: string;
  readonly issuedAtInMs: number;
  readonly expiresAtInMs: number;
  redeemed: boolean;
}

/** What a refresh token stands for. Issued-at is whole seconds, as Entra compares it with TokensValidFrom. */
export interface RefreshGrant {
  readonly clientId: string;
  readonly userId: string;
  readonly tid: string;
  /** The scope string it was issued for (re-used when a refresh asks for no scope). */
  readonly scope: string;
  readonly issuedAtInSeconds: number;
}

/** A value or an Entra error. */
export type Outcome<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
