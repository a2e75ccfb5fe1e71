/**
 * GET /{tenant}/oauth2/v2.0/authorize: the interactive sign-in. With a login_hint naming a
 * directory user it signs that user in at once (302 to the redirect URI with a code);
 * without, it shows a "pick an account" page whose links repeat the request with the hint.
 * Problems with the client or redirect URI are shown as a page, never redirected (a
 * redirect to an unregistered URI would hand the answer to whoever wrote the link); other
 * problems go back to the registered redirect URI as error/error_description, as in Entra.
 * Per-user OBO switches don't apply here: signing in interactively is how a user satisfies them.
 */
import { randomUUID } from 'node:crypto';
import type { DirectoryUser } from '../directory';
import type { EmulatedRequest, EmulatedResponse } from '../httpServer';
import { AADSTS, describe, type EntraError } from './errors';
import { errorPage, formPostPage, signInPickerPage } from './html';
import { resolveTenant, type EntraContext } from './model';
import { grantGraphScopes, parseScopes } from './scopes';
import { rememberCode } from './tokenEndpoint';

type ResponseMode = 'query' | 'fragment' | 'form_post';

/** Answers one authorize request. */
export function handleAuthorizeRequest(ctx: EntraContext, req: EmulatedRequest): EmulatedResponse {
  const nowInMs = ctx.nowInMs();
  const q = req.query;
  const page = (error: EntraError): EmulatedResponse => errorPage(describe(error, { nowInMs }), error.status);

  const segment = req.params.tenant ?? '';
  const tenant = resolveTenant(segment, ctx.directory);
  if (!tenant) return page(AADSTS.tenantNotFound(segment));
  const clientId = q.get('client_id');
  if (!clientId) return page(AADSTS.missingParameter('client_id'));
  req.caller = clientId;
  const app = ctx.apps.get(clientId.toLowerCase());
  if (!app) return page(AADSTS.unknownClient(clientId, segment));
  const redirectUri = q.get('redirect_uri');
  if (!redirectUri) return page(AADSTS.missingParameter('redirect_uri'));
  if (!app.redirectUris.includes(redirectUri)) return page(AADSTS.redirectUriNotRegistered(redirectUri, app.appId));
  if (tenant.kind === 'botframework') return page(AADSTS.unknownClient(clientId, segment));

  const state = q.get('state') ?? undefined;
  const modeParam = q.get('response_mode') ?? 'query';
  const mode: ResponseMode = modeParam === 'fragment' || modeParam === 'form_post' ? modeParam : 'query';
  const answer = (fields: Record<string, string>): EmulatedResponse =>
    respond(redirectUri, mode, state === undefined ? fields : { ...fields, state });
  const refuse = (error: EntraError): EmulatedResponse => answer({ error: error.error, error_description: describe(error, { nowInMs }) });

  if (modeParam !== mode) return refuse(AADSTS.invalidParameter('response_mode', modeParam));
  const responseType = q.get('response_type') ?? '';
  if (responseType !== 'code') return refuse(AADSTS.unsupportedResponseType(responseType));
  const scope = q.get('scope');
  if (!scope) return refuse(AADSTS.missingParameter('scope'));
  const request = parseScopes(scope, ctx.apps.values(), segment);
  if (!request.ok) return refuse(request.error);
  if (request.value.resource.kind === 'graph') {
    const granted = grantGraphScopes(request.value.resource, app);
    if (!granted.ok) return refuse({ ...granted.error, error: 'consent_required' });
  }
  const challenge = q.get('code_challenge') ?? undefined;
  const challengeMethod = q.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
  if (challengeMethod !== undefined && challengeMethod !== 'S256' && challengeMethod !== 'plain')
    return refuse(AADSTS.invalidParameter('code_challenge_method', challengeMethod));

  const hint = q.get('login_hint');
  const user = hint ? findByUpn(ctx, hint) : undefined;
  if (!user) {
    if (q.get('prompt') === 'none') return refuse(AADSTS.loginRequired());
    return signInPickerPage({
      appName: app.displayName,
      tenantDomain: ctx.directory.domain,
      users: [...ctx.directory.users.values()],
      linkFor: (u) => withLoginHint(req, u.userPrincipalName),
      notice: hint ? `There is no account ${hint} in this directory. Pick one below.` : undefined,
    });
  }
  req.caller = `${app.appId}|${user.id}`;
  if (!user.accountEnabled) return answer({ error: 'access_denied', error_description: describe(AADSTS.userDisabled(), { nowInMs }) });

  const code = rememberCode(ctx, {
    clientId: app.appId,
    redirectUri,
    scope,
    userId: user.id,
    tid: ctx.directory.tenantId,
    nonce: q.get('nonce') ?? undefined,
    codeChallenge: challenge,
    codeChallengeMethod: challenge ? (challengeMethod === 'plain' ? 'plain' : 'S256') : undefined,
    claims: q.get('claims') ?? undefined,
    issuedAtInMs: nowInMs,
  });
  const clientInfo = Buffer.from(JSON.stringify({ uid: user.id, utid: ctx.directory.tenantId })).toString('base64url');
  return answer({ code, client_info: clientInfo, session_state: randomUUID() });
}

function findByUpn(ctx: EntraContext, upn: string): DirectoryUser | undefined {
  const wanted = upn.trim().toLowerCase();
  for (const user of ctx.directory.users.values()) if (user.userPrincipalName.toLowerCase() === wanted) return user;
  return undefined;
}

/** The same authorize request, with login_hint set (a relative link, so it works behind any host name). */
function withLoginHint(req: EmulatedRequest, upn: string): string {
  const params = new URLSearchParams(req.query);
  params.set('login_hint', upn);
  return `${req.rawPath}?${params.toString()}`;
}

/** Hands the answer back to the (registered) redirect URI in the requested response mode. */
function respond(redirectUri: string, mode: ResponseMode, fields: Record<string, string>): EmulatedResponse {
  if (mode === 'form_post') return formPostPage(redirectUri, fields);
  const params = new URLSearchParams(fields).toString();
  const location =
    mode === 'fragment'
      ? `${redirectUri.split('#')[0] ?? redirectUri}#${params}`
      : `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${params}`;
  return { status: 302, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
}
