/**
 * The discovery documents msal and token validators read: instance discovery, the v2 and
 * v1 OpenID configurations, and the key sets. As at login.microsoftonline.com, a tenant's
 * documents name its endpoints by tenant id; common/organizations keep their segment and
 * publish an issuer template with {tenantid}.
 */
import type { PublishedKey } from '../signingKeys';
import { v1Issuer, v2Issuer } from './claims';
import type { EntraContext, TenantRef } from './model';

/** The segment a tenant's endpoints use: the tenant id, or common/organizations. */
function endpointSegment(tenant: TenantRef): string {
  return tenant.kind === 'multi' ? tenant.segment : tenant.tid;
}

function issuerTid(tenant: TenantRef): string {
  return tenant.kind === 'multi' ? '{tenantid}' : tenant.tid;
}

/** /{tenant}/v2.0/.well-known/openid-configuration */
export function openIdConfigurationV2(ctx: EntraContext, tenant: TenantRef): Record<string, unknown> {
  const host = ctx.authorityHost();
  const base = `${host}/${endpointSegment(tenant)}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2Issuer(host, issuerTid(tenant)),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'nonce',
      'name',
      'oid',
      'tid',
      'preferred_username',
      'ver',
      'azp',
      'scp',
      'wids',
    ],
    code_challenge_methods_supported: ['plain', 'S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'emulated.local',
  };
}

/**
 * /{tenant}/.well-known/openid-configuration (v1): the issuer of v1 tokens (Graph tokens).
 * Its authorize/token endpoints are listed as Entra lists them; the emulator serves only the v2 ones.
 */
export function openIdConfigurationV1(ctx: EntraContext, tenant: TenantRef): Record<string, unknown> {
  const base = `${ctx.authorityHost()}/${endpointSegment(tenant)}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid'],
    issuer: v1Issuer(issuerTid(tenant)),
    authorization_endpoint: `${base}/oauth2/authorize`,
    end_session_endpoint: `${base}/oauth2/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'oid', 'tid', 'upn', 'unique_name', 'ver', 'appid', 'scp', 'wids'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'emulated.local',
  };
}

/** The key set; v2 keys carry the `issuer` they are for, as Entra's do. */
export function keySet(ctx: EntraContext, tenant: TenantRef, version: 'v1' | 'v2'): { keys: PublishedKey[] } {
  const { keys } = ctx.keys.jwks();
  if (version === 'v1') return { keys };
  const issuer = v2Issuer(ctx.authorityHost(), issuerTid(tenant));
  return { keys: keys.map((k) => ({ ...k, issuer })) };
}

/** host:port of this Entra, the form msal uses for aliases and knownAuthorities. */
export function hostAndPort(ctx: EntraContext): string {
  return new URL(ctx.authorityHost()).host;
}

/**
 * /common/discovery/instance?api-version=1.1&authorization_endpoint=...: the answer msal
 * expects, naming this host as the only alias. undefined when the authority is another host.
 */
export function instanceDiscovery(ctx: EntraContext, query: URLSearchParams, pathTenant: string): Record<string, unknown> | undefined {
  const host = hostAndPort(ctx);
  let tenant = pathTenant;
  const authorizationEndpoint = query.get('authorization_endpoint');
  if (authorizationEndpoint) {
    let url: URL;
    try {
      url = new URL(authorizationEndpoint);
    } catch {
      return undefined;
    }
    if (url.host.toLowerCase() !== host.toLowerCase()) return undefined;
    tenant = url.pathname.split('/').find((s) => s.length > 0) ?? pathTenant;
  }
  return {
    tenant_discovery_endpoint: `${ctx.authorityHost()}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
