/**
 * The few pages a browser sees: the "sign in as" picker (the demo's stand-in for Entra's
 * sign-in page), Entra's error page, and the form_post answer. Everything echoed is
 * HTML-escaped; pages run no script except the form_post auto-submit, allowed by nonce.
 */
import { randomBytes } from 'node:crypto';
import { ROLE_NAMES, type DirectoryUser } from '../directory';
import type { EmulatedResponse } from '../httpServer';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f3f2f1; color: #1b1b1b; margin: 0; }
  main { max-width: 560px; margin: 48px auto; background: #fff; padding: 32px 40px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  h1 { font-size: 24px; font-weight: 600; margin: 0 0 4px; }
  .sub { color: #605e5c; margin: 0 0 24px; }
  .banner { font-size: 13px; color: #605e5c; margin-bottom: 16px; }
  ul { list-style: none; padding: 0; margin: 0; }
  li a { display: block; padding: 10px 12px; border: 1px solid #edebe9; margin-bottom: 8px; text-decoration: none; color: inherit; }
  li a:hover, li a:focus { background: #f3f9fd; border-color: #0067b8; }
  .name { font-weight: 600; }
  .upn { color: #605e5c; font-size: 14px; }
  .roles { font-size: 13px; color: #0067b8; }
  .tag { font-size: 12px; background: #fde7e9; color: #a4262c; padding: 1px 6px; margin-left: 6px; }
  .tag.guest { background: #fff4ce; color: #8a6d00; }
  .notice { background: #fff4ce; padding: 8px 12px; margin-bottom: 16px; }
  .error { color: #a4262c; font-weight: 600; }
  code { font-size: 13px; word-break: break-all; }
`;

function page(title: string, body: string, options: { status?: number; scriptNonce?: string } = {}): EmulatedResponse {
  const script = options.scriptNonce ? ` script-src 'nonce-${options.scriptNonce}';` : '';
  return {
    status: options.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action *;${script} frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<div class="banner">Emulated Microsoft Entra ID &middot; nothing here reaches Microsoft</div>
${body}
</main></body></html>`,
  };
}

/** "Pick an account": each user links to the same authorize request with login_hint. */
export function signInPickerPage(input: {
  readonly appName: string;
  readonly tenantDomain: string;
  readonly users: readonly DirectoryUser[];
  readonly linkFor: (user: DirectoryUser) => string;
  readonly notice?: string;
}): EmulatedResponse {
  const items = input.users
    .map((user) => {
      const roles = user.roles.map((id) => ROLE_NAMES[id] ?? id);
      const tags = [
        user.accountEnabled ? '' : '<span class="tag">disabled</span>',
        user.userType === 'Guest' ? '<span class="tag guest">guest</span>' : '',
      ].join('');
      return `<li><a href="${escapeHtml(input.linkFor(user))}">
  <div class="name">${escapeHtml(user.displayName)}${tags}</div>
  <div class="upn">${escapeHtml(user.userPrincipalName)}</div>
  <div class="roles">${escapeHtml(roles.length > 0 ? roles.join(', ') : 'No admin roles')}</div>
</a></li>`;
    })
    .join('\n');
  const notice = input.notice ? `<p class="notice">${escapeHtml(input.notice)}</p>` : '';
  return page(
    'Sign in to your account',
    `<h1>Pick an account</h1>
<p class="sub">to continue to ${escapeHtml(input.appName)} (${escapeHtml(input.tenantDomain)})</p>
${notice}<ul>
${items}
</ul>`,
  );
}

/** Entra's error page: shown instead of redirecting when the redirect URI can't be trusted. */
export function errorPage(description: string, status = 400): EmulatedResponse {
  return page(
    'Sign in',
    `<h1>Sorry, but we’re having trouble signing you in.</h1>
<p class="error">${escapeHtml(description.split(' Trace ID:')[0] ?? description)}</p>
<p><code>${escapeHtml(description)}</code></p>`,
    { status },
  );
}

/** response_mode=form_post: a form that posts the answer to the redirect URI. */
export function formPostPage(redirectUri: string, fields: Readonly<Record<string, string>>): EmulatedResponse {
  const nonce = randomBytes(16).toString('base64');
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return page(
    'Working...',
    `<form method="post" action="${escapeHtml(redirectUri)}">
${inputs}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="${nonce}">document.forms[0].submit();</script>`,
    { scriptNonce: nonce },
  );
}
