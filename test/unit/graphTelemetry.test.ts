import assert from 'node:assert/strict';
import { graphRouteTemplate } from '../../src/graph/graphTelemetry';
import { userPath } from '../../src/domain/odata';
import { isAllowedSpanName } from '../../src/observability/attributes';

describe('Graph route templates (telemetry)', function () {
  it('when a path names a user by UPN, object id or key syntax, then the template says {id} and keeps Graph’s own names', function () {
    const cases: [string, string][] = [
      [`/v1.0${userPath({ kind: 'userPrincipalName', upn: 'adele.vance@contoso.onmicrosoft.com' })}`, '/users/{id}'],
      [
        `/v1.0${userPath({ kind: 'userPrincipalName', upn: "$o'brien@contoso.com" })}/transitiveMemberOf`,
        '/users({id})/transitiveMemberOf',
      ],
      ['/v1.0/users/6e0a3f52-1b7c-4d3e-9f10-2a3b4c5d6e7f/revokeSignInSessions', '/users/{id}/revokeSignInSessions'],
      [
        '/v1.0/groups/6e0a3f52-1b7c-4d3e-9f10-2a3b4c5d6e7f/transitiveMembers/microsoft.graph.user',
        '/groups/{id}/transitiveMembers/microsoft.graph.user',
      ],
      ['/v1.0/me/transitiveMemberOf/microsoft.graph.group', '/me/transitiveMemberOf/microsoft.graph.group'],
      ['/v1.0/$batch', '/$batch'],
      ['/v1.0/devices/6e0a3f52-1b7c-4d3e-9f10-2a3b4c5d6e7f', '/devices/{id}'],
      ['/proxy/graph/beta/users', '/users'],
      ['/v1.0/users/Adele%20Vance/unknownThing', '/users/{id}/{id}'],
      ['/v1.0', '/{id}'],
    ];
    for (const [path, template] of cases) {
      assert.equal(graphRouteTemplate(path), template, path);
      assert.ok(isAllowedSpanName(`GET ${template}`), `the allow-list takes ${template}`);
    }
  });

  it('when the path is what the Graph client sends for a filter, then the query (with its names) is not part of the template', function () {
    const url = new URL("https://graph.microsoft.com/v1.0/users?$filter=startswith(displayName,'Adele')&$select=id");
    assert.equal(graphRouteTemplate(url.pathname), '/users');
  });
});
