/**
 * Reading the `scope` parameter as Entra does: OpenID scopes aside, every scope names one
 * resource (Microsoft Graph, or a registered app's API such as api://botid-{appId}); one
 * resource per token; a Graph scope must be a delegated permission Graph has (the permission
 * table, ../permissions.ts), else AADSTS70011; `.default` means "whatever is consented"; and
 * Graph scopes need the app's (admin) consent.
 */
import { delegatedPermission } from '../permissions';
import { AADSTS, type EntraError } from './errors';
import { fail, GRAPH_APP_ID, GRAPH_RESOURCE, ok, type AppRegistration, type Outcome } from './model';

/** Scopes msal adds to every user-token request; they pick what comes back beside the access token. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'offline_access', 'email']);

/** The resource a request is for. */
export type ResourceRequest =
  | { readonly kind: 'graph'; readonly names: readonly string[]; readonly isDefault: boolean }
  /** An app's own API; `resourceUri` as the client wrote it. */
  | { readonly kind: 'api'; readonly app: AppRegistration; readonly resourceUri: string }
  /** Only OpenID scopes (sign-in only). */
  | { readonly kind: 'none' };

export interface ScopeRequest {
  readonly resource: ResourceRequest;
  /** The OpenID scopes asked for, lower-cased, in order. */
  readonly oidc: readonly string[];
}

/** The name an app's API exposes for the Teams SSO token. */
export const ACCESS_AS_USER = 'access_as_user';

function findApi(resource: string, apps: Iterable<AppRegistration>): AppRegistration | undefined {
  const wanted = resource.toLowerCase();
  for (const app of apps) {
    const id = app.appId.toLowerCase();
    const names = [app.appIdUri?.toLowerCase(), `api://botid-${id}`, `api://${id}`, id];
    if (names.includes(wanted)) return app;
  }
  return undefined;
}

/** Splits a scope string into the resource it is for and the OpenID scopes. */
export function parseScopes(raw: string, apps: Iterable<AppRegistration>, tenantName: string): Outcome<ScopeRequest, EntraError> {
  const oidc: string[] = [];
  const graphNames: string[] = [];
  let api: { app: AppRegistration; resourceUri: string } | undefined;
  const resources = new Set<string>();
  for (const scope of raw.split(/\s+/).filter((s) => s.length > 0)) {
    const lower = scope.toLowerCase();
    if (OIDC_SCOPES.has(lower)) {
      if (!oidc.includes(lower)) oidc.push(lower);
      continue;
    }
    const graphPrefix = [`${GRAPH_RESOURCE}/`, `${GRAPH_APP_ID}/`].find((p) => lower.startsWith(p));
    if (graphPrefix || !/[/:]/.test(scope)) {
      // Bare names ("User.Read") are Graph's, as in Entra.
      const name = graphPrefix ? scope.slice(graphPrefix.length) : scope;
      if (name.length === 0 || name.includes('/')) return fail(AADSTS.invalidScope(scope));
      // An application-only permission (Device.ReadWrite.All) is no delegated scope either.
      if (name !== '.default' && delegatedPermission(name) === undefined) return fail(AADSTS.invalidScope(scope));
      graphNames.push(name);
      resources.add('graph');
      continue;
    }
    const slash = scope.lastIndexOf('/');
    const resourceUri = slash > 0 ? scope.slice(0, slash) : scope;
    const name = slash > 0 ? scope.slice(slash + 1) : '';
    const app = findApi(resourceUri, apps);
    if (!app) return fail(AADSTS.resourceNotFound(resourceUri, tenantName));
    if (name !== ACCESS_AS_USER && name !== '.default') return fail(AADSTS.invalidScope(scope));
    api = { app, resourceUri };
    resources.add(`api:${app.appId.toLowerCase()}`);
  }
  if (resources.size > 1) return fail(AADSTS.scopeMultipleResources(raw));
  if (api) return ok({ resource: { kind: 'api', app: api.app, resourceUri: api.resourceUri }, oidc });
  if (graphNames.length > 0) {
    const isDefault = graphNames.includes('.default');
    if (isDefault && graphNames.length > 1) return fail(AADSTS.invalidScope(raw));
    return ok({ resource: { kind: 'graph', names: graphNames, isDefault }, oidc });
  }
  return ok({ resource: { kind: 'none' }, oidc });
}

/**
 * The Graph scopes granted to an app: `.default` is everything consented; otherwise every
 * requested scope must be consented (case-insensitively), else AADSTS65001. Only delegated
 * permissions Graph has can be consented, so nothing else on the app's list is ever granted.
 */
export function grantGraphScopes(
  request: { readonly names: readonly string[]; readonly isDefault: boolean },
  app: AppRegistration,
): Outcome<string[], EntraError> {
  const consented = app.consentedGraphScopes.filter((name) => delegatedPermission(name) !== undefined);
  if (request.isDefault) {
    return consented.length > 0 ? ok([...new Set(consented)]) : fail(AADSTS.consentRequired(app.appId, app.displayName));
  }
  const granted: string[] = [];
  for (const name of request.names) {
    const match = consented.find((c) => c.toLowerCase() === name.toLowerCase());
    if (!match) return fail(AADSTS.consentRequired(app.appId, app.displayName));
    if (!granted.includes(match)) granted.push(match);
  }
  return ok(granted);
}

/** The `scope` field of a token response: granted scopes, with their resource, then the OpenID ones. */
export function responseScope(granted: readonly string[], oidc: readonly string[]): string {
  return [...granted, ...oidc].join(' ');
}
