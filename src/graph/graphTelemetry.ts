/**
 * Graph calls as telemetry: a handler in the Graph client's middleware chain (graphCall.ts) makes
 * each HTTP attempt a client span named `<METHOD> <route template>` with OpenTelemetry's HTTP
 * attributes (https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-client-span) and
 * an http.client.request.duration measurement. The template names the route, never the request:
 * every path segment that is not a name Graph defines becomes `{id}` (an object id, a user
 * principal name, a group's id), and the query (filters, search text) is left out.
 */
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { isRecord } from '../domain/json';
import type { Telemetry } from '../observability/telemetry';

/** Path segments Graph defines that the bot calls (resources, navigation properties, casts, actions). */
const GRAPH_NAMES: ReadonlySet<string> = new Set([
  '$batch',
  'users',
  'groups',
  'devices',
  'me',
  'memberOf',
  'transitiveMemberOf',
  'members',
  'transitiveMembers',
  'registeredDevices',
  'revokeSignInSessions',
  'microsoft.graph.user',
  'microsoft.graph.group',
  'microsoft.graph.device',
  'roleManagement',
  'directory',
  'roleAssignments',
  'identityProtection',
  'riskyUsers',
  'confirmCompromised',
  'dismiss',
]);
const VERSIONS: ReadonlySet<string> = new Set(['v1.0', 'beta']);

/**
 * The route template of a Graph URL path: `/v1.0/users/adele%40contoso.com/transitiveMemberOf`
 * → `/users/{id}/transitiveMemberOf`; a key in parentheses keeps its name (`/users('…')` →
 * `/users({id})`). Segments before the version (a proxy's prefix) are dropped.
 */
export function graphRouteTemplate(pathname: string): string {
  const segments = pathname.split('/').filter(Boolean);
  const version = segments.findIndex((segment) => VERSIONS.has(segment));
  const route = version >= 0 ? segments.slice(version + 1) : segments;
  if (route.length === 0) return '/{id}';
  return route
    .map((segment) => {
      if (GRAPH_NAMES.has(segment)) return `/${segment}`;
      const keyed = /^([^(]+)\(/.exec(segment)?.[1];
      return keyed !== undefined && GRAPH_NAMES.has(keyed) ? `/${keyed}({id})` : '/{id}';
    })
    .join('');
}

/** Each attempt (retries and redirects included) of a Graph request, as a client span; placed right before the HTTP handler. */
export class GraphTelemetryHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly telemetry: Telemetry) {}

  async execute(context: Context): Promise<void> {
    // The client types these with the DOM's fetch types; read them as the plain values they are.
    const request: unknown = context.request;
    const options: unknown = context.options;
    const url = new URL(typeof request === 'string' ? request : isRecord(request) && typeof request.url === 'string' ? request.url : '');
    const given = isRecord(options) && typeof options.method === 'string' ? options.method : isRecord(request) ? request.method : undefined;
    const method = (typeof given === 'string' ? given : 'GET').toUpperCase();
    const template = graphRouteTemplate(url.pathname);
    await this.telemetry.span(
      `${method} ${template}`,
      {
        kind: 'client',
        attributes: {
          'http.request.method': method,
          'url.template': template,
          'server.address': url.hostname,
          'server.port': url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
        },
        duration: 'http.client.request.duration',
      },
      async (span) => {
        await this.next?.execute(context);
        const status = context.response?.status;
        if (status === undefined) return;
        span.set({ 'http.response.status_code': status });
        if (status >= 400) span.fail(String(status));
      },
    );
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
