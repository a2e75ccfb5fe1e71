import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { BatchRequestContent, BatchResponseContent, Client, GraphError } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { departmentFilter } from '../../src/domain/odata';
import { DEFAULT_USER_ROLE, DEMO_TENANT_ID, seedDirectory, type Directory, type DirectoryUser } from '../../emulator/directory';
import { EmulatedGraph, GRAPH_ROUTES } from '../../emulator/graph';
import { directoryRoleId } from '../../emulator/graph/resources';
import { epochSeconds, SigningKeySet } from '../../emulator/signingKeys';
import { claimsFromChallenge } from '../../src/graph/claimsChallenge';
import type { PemPair } from '../../emulator/tls';
import { testTls } from '../helpers/tls';

const BOT_APP_ID = '11111111-2222-4333-8444-555555555555';
const READ = 'User.Read User.Read.All GroupMember.Read.All RoleManagement.Read.Directory';
const REVOKE = `${READ} User.RevokeSessions.All`;
const SEEDED_SESSIONS_VALID_FROM = '2026-01-05T08:00:00Z';

/** The JSON shape of a user as tests read it. */
interface UserJson {
  id?: string;
  displayName?: string;
  userPrincipalName?: string;
  department?: string | null;
  signInSessionsValidFromDateTime?: string;
  accountEnabled?: boolean;
  [key: string]: unknown;
}

interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
}

interface BatchAnswer {
  responses: { id: string; status: number; headers: Record<string, string>; body?: { error?: { code: string } } }[];
}

function isGraphError(status: number, code?: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof GraphError, `expected a GraphError, got ${String(error)}`);
    assert.equal(error.statusCode, status);
    if (code !== undefined) assert.equal(error.code, code);
    return true;
  };
}

describe('emulated Microsoft Graph', function () {
  let tls: PemPair;
  let keys: SigningKeySet;
  let directory: Directory;
  let graph: EmulatedGraph;

  before(async function () {
    tls = (await testTls()).server;
    keys = await SigningKeySet.create();
  });

  beforeEach(async function () {
    directory = seedDirectory();
    graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys });
  });

  afterEach(async function () {
    await graph.stop();
  });

  /** A delegated Graph access token (v1 shape) for a directory user. */
  function tokenFor(user: DirectoryUser, scopes: string, claims: Record<string, unknown> = {}): Promise<string> {
    const now = epochSeconds();
    return keys.sign({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${DEMO_TENANT_ID}/`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      appid: BOT_APP_ID,
      tid: DEMO_TENANT_ID,
      oid: user.id,
      upn: user.userPrincipalName,
      name: user.displayName,
      scp: scopes,
      wids: [...user.roles, DEFAULT_USER_ROLE],
      idtyp: 'user',
      ver: '1.0',
      ...claims,
    });
  }

  /** An app-only token (client credentials) with the given application roles. */
  function appToken(roles: string[]): Promise<string> {
    const now = epochSeconds();
    return keys.sign({
      aud: '00000003-0000-0000-c000-000000000000',
      iss: `https://sts.windows.net/${DEMO_TENANT_ID}/`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      appid: BOT_APP_ID,
      tid: DEMO_TENANT_ID,
      oid: randomUUID(),
      roles,
      idtyp: 'app',
    });
  }

  /** The real Graph JS client, as the bot builds it, with a credential that hands out `token`. */
  function clientWith(token: string, options: { customHosts?: boolean } = {}): { client: Client; credentialCalls: () => number } {
    let calls = 0;
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => {
        calls += 1;
        return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] }),
      baseUrl: graph.endpoint,
      defaultVersion: 'v1.0',
      ...(options.customHosts === false ? {} : { customHosts: new Set(['127.0.0.1']) }),
    });
    return { client, credentialCalls: () => calls };
  }

  async function clientFor(name: string, scopes: string): Promise<Client> {
    return clientWith(await tokenFor(directory.user(name), scopes)).client;
  }

  /** A raw HTTPS call, for what the Graph client would not send. */
  function rawFetch(
    path: string,
    init: { token?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    return fetch(`${graph.endpoint}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  }

  function addBulkUsers(count: number): DirectoryUser[] {
    return Array.from({ length: count }, (_, i) =>
      directory.addUser({
        userPrincipalName: `bulk${String(i).padStart(2, '0')}@${directory.domain}`,
        displayName: `Bulk User ${String(i).padStart(2, '0')}`,
        department: 'Bulk',
      }),
    );
  }

  describe('looking users up', function () {
    it('returns the default properties without $select, and only the selected ones with it', async function () {
      const client = await clientFor('helen', READ);
      const plain = (await client.api('/users/adele@contoso.onmicrosoft.com').get()) as UserJson;
      assert.equal(plain.displayName, 'Adele Vance');
      assert.equal(plain.id, directory.user('adele').id);
      assert.equal(plain.signInSessionsValidFromDateTime, undefined);
      assert.equal(plain.department, undefined);
      assert.ok(Array.isArray(plain.businessPhones));

      const selected = (await client
        .api(`/users/${directory.user('adele').id}`)
        .select(['id', 'displayName', 'department', 'accountEnabled', 'userType', 'signInSessionsValidFromDateTime'])
        .get()) as UserJson;
      const { '@odata.context': context, ...properties } = selected;
      assert.deepEqual(properties, {
        id: directory.user('adele').id,
        displayName: 'Adele Vance',
        department: 'Finance',
        accountEnabled: true,
        userType: 'Member',
        signInSessionsValidFromDateTime: SEEDED_SESSIONS_VALID_FROM,
      });
      assert.match(
        String(context),
        /\/v1\.0\/\$metadata#users\(id,displayName,department,accountEnabled,userType,signInSessionsValidFromDateTime\)\/\$entity$/,
      );
    });

    it('finds the guest by a UPN whose # is sent as %23', async function () {
      const client = await clientFor('helen', READ);
      const guest = (await client.api('/users/gina_fabrikam.com%23EXT%23@contoso.onmicrosoft.com').select('id,userType').get()) as UserJson;
      assert.equal(guest.id, directory.user('Gina Guest (Fabrikam)').id);
      assert.equal(guest.userType, 'Guest');
    });

    it('when the guest UPN is sent with a raw #, then the rest is a fragment and the user is not found', async function () {
      const client = await clientFor('helen', READ);
      await assert.rejects(
        client.api('/users/gina_fabrikam.com#EXT#@contoso.onmicrosoft.com').get(),
        isGraphError(404, 'Request_ResourceNotFound'),
      );
    });

    it("finds a $-prefixed UPN through the key form /users('…') and refuses it in path form", async function () {
      const client = await clientFor('helen', READ);
      const service = (await client.api("/users('$svc-backup@contoso.onmicrosoft.com')").select('id,displayName').get()) as UserJson;
      assert.equal(service.displayName, 'Backup Service');
      await assert.rejects(client.api('/users/$svc-backup@contoso.onmicrosoft.com').get(), isGraphError(400, 'Request_BadRequest'));
    });

    it('finds a UPN with a quote through the key form with the quote doubled', async function () {
      const client = await clientFor('helen', READ);
      const liam = (await client.api("/users('liam.o''brien@contoso.onmicrosoft.com')").select('displayName').get()) as UserJson;
      assert.equal(liam.displayName, "Liam O'Brien");
      await assert.rejects(client.api("/users('liam.o'brien@contoso.onmicrosoft.com')").get(), isGraphError(400, 'Request_BadRequest'));
    });

    it('answers 404 with Graph error code, request id and the client-request-id it was sent', async function () {
      const client = await clientFor('helen', READ);
      const clientRequestId = randomUUID();
      await assert.rejects(
        client.api('/users/nobody@contoso.onmicrosoft.com').header('client-request-id', clientRequestId).get(),
        (error: unknown) => {
          assert.ok(error instanceof GraphError);
          assert.equal(error.statusCode, 404);
          assert.equal(error.code, 'Request_ResourceNotFound');
          assert.equal(
            error.message,
            "Resource 'nobody@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present.",
          );
          assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
          assert.equal(error.headers?.get('request-id'), error.requestId);
          assert.equal(error.headers?.get('client-request-id'), clientRequestId);
          assert.deepEqual(Object.keys(JSON.parse(error.body as string) as object).sort(), ['code', 'innerError', 'message']);
          return true;
        },
      );
    });

    it('refuses an unknown $select property with 400', async function () {
      const client = await clientFor('helen', READ);
      await assert.rejects(
        client.api('/users/adele@contoso.onmicrosoft.com').select('id,shoeSize').get(),
        isGraphError(400, 'Request_BadRequest'),
      );
    });

    it('with only User.ReadBasic.All, returns basic properties of others and leaves the rest out', async function () {
      const client = await clientFor('helen', 'User.ReadBasic.All');
      const adele = (await client
        .api('/users/adele@contoso.onmicrosoft.com')
        .select('id,displayName,department,signInSessionsValidFromDateTime')
        .get()) as UserJson;
      assert.equal(adele.displayName, 'Adele Vance');
      assert.equal('department' in adele, false);
      assert.equal('signInSessionsValidFromDateTime' in adele, false);
    });

    it('with only User.Read, refuses other users but serves /me and the caller by own id', async function () {
      const helen = directory.user('helen');
      const client = await clientFor('helen', 'User.Read');
      await assert.rejects(client.api('/users/adele@contoso.onmicrosoft.com').get(), isGraphError(403, 'Authorization_RequestDenied'));
      const me = (await client.api('/me').select('id,department').get()) as UserJson;
      assert.deepEqual([me.id, me.department], [helen.id, 'IT']);
      const self = (await client.api(`/users/${helen.id}`).get()) as UserJson;
      assert.equal(self.id, helen.id);
    });
  });

  describe('searching users', function () {
    it("filters with a quoted literal (Liam O'Brien), quotes doubled", async function () {
      const client = await clientFor('helen', READ);
      const byName = (await client
        .api('/users')
        .filter("startswith(displayName,'Liam O''B')")
        .select('id,displayName')
        .get()) as Collection<UserJson>;
      assert.deepEqual(
        byName.value.map((u) => u.displayName),
        ["Liam O'Brien"],
      );
      const byUpn = (await client
        .api('/users')
        .filter("userPrincipalName eq 'liam.o''brien@contoso.onmicrosoft.com' or mail eq 'adele@contoso.onmicrosoft.com'")
        .select('displayName')
        .get()) as Collection<UserJson>;
      assert.deepEqual(byUpn.value.map((u) => u.displayName).sort(), ['Adele Vance', "Liam O'Brien"]);
    });

    it('refuses a malformed or unsupported filter with 400', async function () {
      const client = await clientFor('helen', READ);
      await assert.rejects(
        client.api('/users').filter("startswith(displayName,'Liam O'Brien')").get(),
        isGraphError(400, 'Request_BadRequest'),
      );
      await assert.rejects(client.api('/users').filter("displayName eq 'unterminated").get(), isGraphError(400, 'Request_BadRequest'));
      await assert.rejects(client.api('/users').filter("shoeSize eq '42'").get(), isGraphError(400, 'Request_BadRequest'));
      await assert.rejects(client.api('/users').filter("contains(displayName,'ele')").get(), isGraphError(400, 'Request_UnsupportedQuery'));
      await assert.rejects(
        client.api('/users').filter("endswith(mail,'@contoso.onmicrosoft.com')").get(),
        isGraphError(400, 'Request_UnsupportedQuery'),
      );
    });

    it('accepts endswith as an advanced query, with ConsistencyLevel: eventual and $count=true', async function () {
      const client = await clientFor('helen', READ);
      const guests = (await client
        .api('/users')
        .header('ConsistencyLevel', 'eventual')
        .count(true)
        .filter("endswith(userPrincipalName,'%23EXT%23@contoso.onmicrosoft.com')")
        .get()) as Collection<UserJson>;
      assert.deepEqual(
        guests.value.map((u) => u.userPrincipalName),
        ['gina_fabrikam.com#EXT#@contoso.onmicrosoft.com'],
      );
      assert.equal(guests['@odata.count'], 1);
    });

    it('searches display names with ConsistencyLevel: eventual, and refuses $search without it', async function () {
      const client = await clientFor('helen', READ);
      const megans = (await client
        .api('/users')
        .header('ConsistencyLevel', 'eventual')
        .search('"displayName:megan bow"')
        .count(true)
        .select('displayName')
        .get()) as Collection<UserJson>;
      assert.deepEqual(megans.value.map((u) => u.displayName).sort(), ['Megan Bowen', 'Megan Bowman']);
      assert.equal(megans['@odata.count'], 2);
      await assert.rejects(client.api('/users').search('"displayName:megan"').get(), (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.statusCode, 400);
        assert.equal(error.code, 'Request_UnsupportedQuery');
        assert.match(error.message, /ConsistencyLevel: eventual/);
        return true;
      });
    });

    it('pages with @odata.nextLink that the client can follow, and bounds $top at 999', async function () {
      const bulk = addBulkUsers(20);
      const client = await clientFor('uma', READ);
      const seen: string[] = [];
      let page = (await client.api('/users').filter("department eq 'Bulk'").select('id').top(7).get()) as Collection<UserJson>;
      const pageSizes = [page.value.length];
      seen.push(...page.value.map((u) => u.id ?? ''));
      while (page['@odata.nextLink']) {
        assert.ok(page['@odata.nextLink'].startsWith(`${graph.endpoint}/v1.0/users?`));
        page = (await client.api(page['@odata.nextLink']).get()) as Collection<UserJson>;
        pageSizes.push(page.value.length);
        seen.push(...page.value.map((u) => u.id ?? ''));
      }
      assert.deepEqual(pageSizes, [7, 7, 6]);
      assert.deepEqual(seen.sort(), bulk.map((u) => u.id).sort());
      await assert.rejects(client.api('/users').top(1000).get(), isGraphError(400, 'Request_BadRequest'));
    });
  });

  describe('query strings, read as Graph reads them', function () {
    /** Two users in each awkwardly named department (next to the seeded ones, e.g. Sales); every department's user ids. */
    function addDepartments(): Record<string, string[]> {
      for (const [i, department] of ['Sales', 'R&D', 'Sales & Marketing', 'C# Guild', 'A+B', 'A B'].entries()) {
        for (const n of [0, 1])
          directory.addUser({ userPrincipalName: `dept${i}.${n}@${directory.domain}`, displayName: `Dept ${i} User ${n}`, department });
      }
      const byName: Record<string, string[]> = {};
      for (const user of directory.users.values())
        if (user.department) byName[user.department] = [...(byName[user.department] ?? []), user.id];
      return byName;
    }

    const lastQuery = (): string => graph.server.calls.at(-1)?.query ?? '';

    it('when the Graph JS client is given a filter, then it writes it into the URL as given: a raw & cuts it and a raw # ends the query, and Graph answers 400', async function () {
      addDepartments();
      const client = await clientFor('helen', READ);
      await assert.rejects(client.api('/users').filter("department eq 'R&D'").select('id').get(), isGraphError(400, 'Request_BadRequest'));
      // Only the URL parser's own escapes (space, quote) are applied; the & stays a separator.
      assert.equal(lastQuery(), '$filter=department%20eq%20%27R&D%27&$select=id');
      await assert.rejects(
        client.api('/users').filter("department eq 'C# Guild'").select('id').get(),
        isGraphError(400, 'Request_BadRequest'),
      );
      assert.equal(lastQuery(), '$filter=department%20eq%20%27C', 'the rest went into the fragment, which is never sent');
    });

    it('OData injection through a department name: with the value left unencoded, %27 closes the literal and every enabled user matches', async function () {
      const departments = addDepartments();
      const client = await clientFor('helen', READ);
      const page = (await client
        .api('/users')
        .filter("department eq 'Sales%27 or accountEnabled eq true or department eq %27x'")
        .select('id')
        .top(999)
        .get()) as Collection<UserJson>;
      assert.ok(
        page.value.length > departments.Sales!.length + 10,
        `the emulated Graph decodes %27 to a quote, as Graph does: ${page.value.length} users`,
      );
    });

    it('when the filter is built by odata.ts, then each department name selects exactly its own users and the hostile one selects nobody', async function () {
      const departments = addDepartments();
      const client = await clientFor('helen', READ);
      for (const [name, ids] of Object.entries(departments)) {
        const page = (await client.api('/users').filter(departmentFilter(name)).select('id').get()) as Collection<UserJson>;
        assert.deepEqual(page.value.map((u) => u.id).sort(), [...ids].sort(), name);
        assert.equal(lastQuery(), `$filter=${departmentFilter(name)}&$select=id`, 'on the wire exactly as built');
      }
      const hostile = (await client
        .api('/users')
        .filter(departmentFilter('Sales%27 or accountEnabled eq true or department eq %27x'))
        .select('id')
        .get()) as Collection<UserJson>;
      assert.deepEqual(hostile.value, []);
    });

    it('when a raw + is sent, then it is a space; %2B is the plus sign', async function () {
      const departments = addDepartments();
      const client = await clientFor('helen', READ);
      const spaced = (await (
        await rawFetch("/v1.0/users?$filter=department+eq+'A+B'&$select=id", { token: await tokenFor(directory.user('helen'), READ) })
      ).json()) as Collection<UserJson>;
      assert.deepEqual(spaced.value.map((u) => u.id).sort(), [...departments['A B']!].sort());
      const plus = (await client.api('/users').filter(departmentFilter('A+B')).select('id').get()) as Collection<UserJson>;
      assert.deepEqual(plus.value.map((u) => u.id).sort(), [...departments['A+B']!].sort());
    });

    it('when a system query option comes twice (a smuggled second $filter), then Graph refuses the request', async function () {
      const response = await rawFetch("/v1.0/users?$filter=department%20eq%20'x'&$FILTER=accountEnabled%20eq%20true", {
        token: await tokenFor(directory.user('helen'), READ),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { message: string } };
      assert.equal(body.error.message, "Query option '$FILTER' was specified more than once, but it must be specified at most once.");
    });

    it('when a $batch step carries a query, then it is decoded the same way and recorded as sent', async function () {
      const departments = addDepartments();
      const token = await tokenFor(directory.user('helen'), READ);
      const url = `/users?$filter=${departmentFilter('R&D')}&$select=id`;
      const response = await rawFetch('/v1.0/$batch', {
        token,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url }] }),
      });
      const answer = (await response.json()) as { responses: { status: number; body: Collection<UserJson> }[] };
      assert.deepEqual(answer.responses[0]?.body.value.map((u) => u.id).sort(), [...departments['R&D']!].sort());
      assert.equal(
        graph.server.calls.find((c) => c.route === GRAPH_ROUTES.listUsers)?.query,
        `$filter=${departmentFilter('R&D')}&$select=id`,
      );
    });
  });

  describe('memberships and roles', function () {
    it('lists directory roles through the directoryRole cast, with a tenant-specific id and the template id', async function () {
      const client = await clientFor('helen', READ);
      const uma = directory.user('uma');
      const roles = (await client
        .api(`/users/${uma.id}/transitiveMemberOf/microsoft.graph.directoryRole`)
        .header('ConsistencyLevel', 'eventual')
        .select('id,displayName,roleTemplateId')
        .get()) as Collection<Record<string, unknown>>;
      assert.deepEqual(roles.value, [
        {
          '@odata.type': '#microsoft.graph.directoryRole',
          id: directoryRoleId(DEMO_TENANT_ID, uma.roles[0]!),
          displayName: 'User Administrator',
          roleTemplateId: uma.roles[0],
        },
      ]);
      assert.notEqual(roles.value[0]?.id, roles.value[0]?.roleTemplateId);
    });

    it('lists groups and roles without a cast, nested groups only in transitiveMemberOf', async function () {
      const client = await clientFor('adele', 'User.Read');
      const direct = (await client.api('/me/memberOf').get()) as Collection<{ '@odata.type': string; displayName: string }>;
      const transitive = (await client.api('/me/transitiveMemberOf').get()) as Collection<{ '@odata.type': string; displayName: string }>;
      assert.deepEqual(
        direct.value.map((o) => [o['@odata.type'], o.displayName]),
        [['#microsoft.graph.group', 'Finance Team']],
      );
      assert.deepEqual(transitive.value.map((o) => o.displayName).sort(), ['All Staff', 'Finance Team']);
      await assert.rejects(
        client.api(`/users/${directory.user('alex').id}/memberOf`).get(),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
    });

    it('lists role assignments filtered by principal, with the role definition expanded', async function () {
      const client = await clientFor('helen', READ);
      const priya = directory.user('priya');
      const answer = (await client
        .api('/roleManagement/directory/roleAssignments')
        .filter(`principalId eq '${priya.id}'`)
        .expand('roleDefinition($select=templateId,displayName)')
        .get()) as Collection<Record<string, unknown>>;
      assert.equal(answer.value.length, 1);
      const [assignment] = answer.value;
      assert.equal(assignment?.principalId, priya.id);
      assert.equal(assignment?.roleDefinitionId, priya.roles[0]);
      assert.equal(assignment?.directoryScopeId, '/');
      assert.deepEqual(assignment?.roleDefinition, { templateId: priya.roles[0], displayName: 'Privileged Authentication Administrator' });
      const withoutScope = await clientFor('helen', 'User.Read.All');
      await assert.rejects(
        withoutScope.api('/roleManagement/directory/roleAssignments').filter(`principalId eq '${priya.id}'`).get(),
        isGraphError(403),
      );
    });
  });

  describe('groups', function () {
    it('finds a group by name and lists its members, direct and transitive, with paging', async function () {
      const client = await clientFor('uma', READ);
      const groups = (await client.api('/groups').filter("displayName eq 'All Staff'").select('id,displayName').get()) as Collection<{
        id: string;
      }>;
      assert.equal(groups.value.length, 1);
      const allStaff = groups.value[0]!.id;
      const direct = (await client
        .api(`/groups/${allStaff}/members/microsoft.graph.user`)
        .select('id,displayName')
        .get()) as Collection<UserJson>;
      assert.deepEqual(
        direct.value.map((u) => u.displayName),
        ['Alex Wilber'],
      );
      const firstPage = (await client
        .api(`/groups/${allStaff}/transitiveMembers/microsoft.graph.user`)
        .select('id,displayName')
        .top(3)
        .get()) as Collection<UserJson>;
      assert.equal(firstPage.value.length, 3);
      assert.ok(firstPage['@odata.nextLink']);
      const rest = (await client.api(firstPage['@odata.nextLink']).get()) as Collection<UserJson>;
      const everyone = [...firstPage.value, ...rest.value].map((u) => u.displayName).sort();
      const expected = [...directory.transitiveUsersOf(allStaff).map((u) => u.displayName)].sort();
      assert.deepEqual(everyone, expected);
      assert.ok(everyone.includes('Adele Vance') && everyone.includes('Alex Wilber'));
      await assert.rejects(client.api(`/groups/${randomUUID()}`).get(), isGraphError(404, 'Request_ResourceNotFound'));
    });
  });

  describe('revoking sign-in sessions', function () {
    it('when a User Administrator revokes a non-admin, then it is 200 { value: true } and signInSessionsValidFromDateTime moves to now', async function () {
      const uma = directory.user('uma');
      const client = await clientFor('uma', REVOKE);
      const before = Date.now();
      const answer = (await client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({})) as Record<string, unknown>;
      assert.deepEqual(answer, { '@odata.context': `${graph.endpoint}/v1.0/$metadata#Edm.Boolean`, value: true });
      const adele = (await client.api('/users/adele@contoso.onmicrosoft.com').select('signInSessionsValidFromDateTime').get()) as UserJson;
      const validFrom = adele.signInSessionsValidFromDateTime ?? '';
      assert.match(validFrom, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.notEqual(validFrom, SEEDED_SESSIONS_VALID_FROM);
      assert.ok(Date.parse(validFrom) >= Math.floor(before / 1000) * 1000 && Date.parse(validFrom) <= Date.now());
      assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 1);
    });

    it('when a user without an admin role revokes someone else, then it is 403 and nothing changes', async function () {
      const client = await clientFor('alex', REVOKE);
      await assert.rejects(client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({}), (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.statusCode, 403);
        assert.equal(error.code, 'Authorization_RequestDenied');
        assert.equal(error.message, 'Insufficient privileges to complete the operation.');
        return true;
      });
      assert.equal(directory.user('adele').signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
      assert.equal(graph.count(GRAPH_ROUTES.revoke, directory.user('alex').id), 1);
    });

    it('when a Password Administrator revokes an admin or even a non-admin, then it is 403 (the role lacks invalidateAllRefreshTokens)', async function () {
      const client = await clientFor('paul', REVOKE);
      await assert.rejects(
        client.api(`/users/${directory.user('helen').id}/revokeSignInSessions`).post({}),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
      await assert.rejects(
        client.api(`/users/${directory.user('adele').id}/revokeSignInSessions`).post({}),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
    });

    it('when a Helpdesk Administrator revokes a Global Administrator or a role-assignable group member, then it is 403; a PAA may', async function () {
      const helpdesk = await clientFor('helen', REVOKE);
      await assert.rejects(helpdesk.api('/users/grace@contoso.onmicrosoft.com/revokeSignInSessions').post({}), isGraphError(403));
      await assert.rejects(helpdesk.api('/users/lee.gu@contoso.onmicrosoft.com/revokeSignInSessions').post({}), isGraphError(403));
      const paa = await clientFor('priya', REVOKE);
      await paa.api('/users/lee.gu@contoso.onmicrosoft.com/revokeSignInSessions').post({});
      assert.notEqual(directory.user('lee.gu').signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
    });

    it('when the admin role is right but the token lacks a revoke scope, then it is 403', async function () {
      const client = await clientFor('grace', READ);
      await assert.rejects(
        client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({}),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
    });

    it('lets anyone revoke their own sessions, through /me and through their own id', async function () {
      const alex = directory.user('alex');
      const client = await clientFor('alex', 'User.Read User.RevokeSessions.All');
      await client.api('/me/revokeSignInSessions').post({});
      assert.notEqual(alex.signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
      await client.api(`/users/${alex.id}/revokeSignInSessions`).post({});
      assert.equal(graph.count(GRAPH_ROUTES.revokeMe, alex.id), 1);
      assert.equal(graph.count(GRAPH_ROUTES.revoke, alex.id), 1);
    });

    it("in '204' mode, answers 204 with no body, which the client resolves as undefined", async function () {
      await graph.stop();
      graph = await EmulatedGraph.start({ tls, directory, tokenKeys: keys, revokeResponse: '204' });
      const client = await clientFor('uma', REVOKE);
      const answer: unknown = await client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({});
      assert.equal(answer, undefined);
      assert.notEqual(directory.user('adele').signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
    });

    it('refuses an app-only token without application permissions, and /me for any app token', async function () {
      const { client } = clientWith(await appToken([]));
      await assert.rejects(
        client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({}),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
      await assert.rejects(client.api('/users/adele@contoso.onmicrosoft.com').get(), isGraphError(403, 'Authorization_RequestDenied'));
      await assert.rejects(client.api('/me').get(), isGraphError(400));
      assert.equal(graph.count(GRAPH_ROUTES.revoke, BOT_APP_ID), 1);
    });
  });

  describe('faults', function () {
    it('when the first call is throttled with a fractional Retry-After, then the client retries and succeeds, and both calls are counted', async function () {
      const uma = directory.user('uma');
      graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 0.2 });
      const client = await clientFor('uma', REVOKE);
      const started = Date.now();
      await client.api('/users/adele@contoso.onmicrosoft.com/revokeSignInSessions').post({});
      assert.ok(Date.now() - started >= 190, 'the client waited for Retry-After');
      assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 2);
      assert.deepEqual(
        graph.server.calls.filter((c) => c.route === GRAPH_ROUTES.revoke).map((c) => c.status),
        [429, 200],
      );
    });

    it('answers a throttled call with the 429 body and Retry-After header Graph sends', async function () {
      graph.injectFault({ route: GRAPH_ROUTES.getUser, status: 429, retryAfterInSeconds: 2.128 });
      const response = await rawFetch('/v1.0/users/adele@contoso.onmicrosoft.com', {
        token: await tokenFor(directory.user('helen'), READ),
        headers: { 'client-request-id': 'abc' },
      });
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '2.128');
      const body = (await response.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
      assert.equal(body.error.code, 'TooManyRequests');
      assert.equal(body.error.innerError.status, '429');
      assert.equal(body.error.innerError['client-request-id'], 'abc');
      assert.equal(body.error.innerError['request-id'], response.headers.get('request-id'));
    });

    it('when Graph keeps answering 503, then the client gives up after its retries with a GraphError 503', async function () {
      graph.injectFault({ route: GRAPH_ROUTES.getUser, status: 503, retryAfterInSeconds: 0.05, times: Infinity });
      const client = await clientFor('helen', READ);
      await assert.rejects(client.api('/users/adele@contoso.onmicrosoft.com').get(), isGraphError(503, 'serviceNotAvailable'));
      assert.equal(graph.count(GRAPH_ROUTES.getUser), 4, 'one call and three retries');
    });

    it('drops the connection when asked to, then answers again', async function () {
      graph.injectFault({ route: GRAPH_ROUTES.getUser, resetConnection: true });
      const token = await tokenFor(directory.user('helen'), READ);
      await assert.rejects(rawFetch('/v1.0/users/adele@contoso.onmicrosoft.com', { token }));
      assert.equal((await rawFetch('/v1.0/users/adele@contoso.onmicrosoft.com', { token })).status, 200);
    });

    it('delays an answer by the injected latency', async function () {
      graph.injectFault({ route: GRAPH_ROUTES.me, latencyInMs: 150 });
      const client = await clientFor('helen', READ);
      const started = Date.now();
      await client.api('/me').get();
      assert.ok(Date.now() - started >= 145);
    });
  });

  describe('authentication', function () {
    it('when the client sends no Authorization header (customHosts missing), then it is 401 and the credential is never asked', async function () {
      const { client, credentialCalls } = clientWith(await tokenFor(directory.user('helen'), READ), { customHosts: false });
      await assert.rejects(client.api('/users/adele@contoso.onmicrosoft.com').get(), isGraphError(401, 'InvalidAuthenticationToken'));
      assert.equal(credentialCalls(), 0);
      assert.equal(graph.count(GRAPH_ROUTES.getUser), 1);
    });

    const badTokens: [string, (user: DirectoryUser) => Promise<string>][] = [
      [
        'is expired',
        (user) => tokenFor(user, READ, { iat: epochSeconds() - 7200, nbf: epochSeconds() - 7200, exp: epochSeconds() - 3600 }),
      ],
      ['is for another audience', (user) => tokenFor(user, READ, { aud: 'api://session-revoker' })],
      ['is from another tenant', (user) => tokenFor(user, READ, { tid: randomUUID() })],
      ['has an issuer of another tenant', (user) => tokenFor(user, READ, { iss: `https://sts.windows.net/${randomUUID()}/` })],
      [
        'is signed by a key Entra never published',
        async (user) => {
          const now = epochSeconds();
          return keys.sign(
            {
              aud: 'https://graph.microsoft.com',
              iss: `https://sts.windows.net/${DEMO_TENANT_ID}/`,
              iat: now,
              exp: now + 3600,
              tid: DEMO_TENANT_ID,
              oid: user.id,
              scp: READ,
              idtyp: 'user',
            },
            { forge: true },
          );
        },
      ],
      ['is not a JWT at all', async () => 'not-a-jwt'],
    ];
    for (const [what, mint] of badTokens) {
      it(`when the bearer token ${what}, then it is 401 InvalidAuthenticationToken with a WWW-Authenticate challenge`, async function () {
        const response = await rawFetch('/v1.0/users/adele@contoso.onmicrosoft.com', { token: await mint(directory.user('helen')) });
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'InvalidAuthenticationToken');
      });
    }

    it("accepts Graph's application id as audience, and records the caller's oid", async function () {
      const helen = directory.user('helen');
      const response = await rawFetch('/v1.0/me', { token: await tokenFor(helen, READ, { aud: '00000003-0000-0000-c000-000000000000' }) });
      assert.equal(response.status, 200);
      assert.equal(graph.count(GRAPH_ROUTES.me, helen.id), 1);
    });

    it('sends request-id and client-request-id headers on every answer, echoing the client one', async function () {
      const ok = await rawFetch('/v1.0/me', {
        token: await tokenFor(directory.user('helen'), READ),
        headers: { 'client-request-id': 'my-correlation' },
      });
      assert.equal(ok.headers.get('client-request-id'), 'my-correlation');
      assert.match(ok.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
      const unauthenticated = await rawFetch('/v1.0/me');
      assert.match(unauthenticated.headers.get('client-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const unknown = await rawFetch('/v1.0/nothingHere', { token: await tokenFor(directory.user('helen'), READ) });
      assert.equal(unknown.status, 400);
      assert.ok(unknown.headers.get('request-id'));
      const wrongMethod = await rawFetch('/v1.0/users/adele@contoso.onmicrosoft.com', {
        method: 'DELETE',
        token: await tokenFor(directory.user('helen'), READ),
      });
      assert.equal(wrongMethod.status, 405);
    });
  });

  describe('continuous access evaluation (CAE-capable clients)', function () {
    /** A cp1 token for Helen, issued `ageInSeconds` ago. */
    function caeToken(user: DirectoryUser, ageInSeconds: number, claims: Record<string, unknown> = {}): Promise<string> {
      const iat = epochSeconds() - ageInSeconds;
      return tokenFor(user, READ, { iat, nbf: iat, xms_cc: ['CP1'], uti: 'uti-of-this-token', ...claims });
    }

    function revokedNow(user: DirectoryUser): number {
      const seconds = epochSeconds();
      user.signInSessionsValidFromDateTime = new Date(seconds * 1000).toISOString();
      return seconds;
    }

    it('when a cp1 token was issued before its user’s sessions were revoked, then Graph answers 401 with the documented claims challenge', async function () {
      const helen = directory.user('helen');
      const token = await caeToken(helen, 10);
      const revokedAt = revokedNow(helen);
      const response = await rawFetch('/v1.0/me', { token });
      assert.equal(response.status, 401);
      const header = response.headers.get('www-authenticate') ?? '';
      assert.match(
        header,
        /^Bearer realm="", authorization_uri="[^"]+", client_id="00000003-0000-0000-c000-000000000000", error_description="Continuous access evaluation resulted in challenge[^"]*TokenIssuedBeforeRevocationTimestamp", error="insufficient_claims", claims="[A-Za-z0-9+/=]+"$/,
      );
      assert.deepEqual(JSON.parse(claimsFromChallenge(header) ?? 'null'), {
        access_token: { nbf: { essential: true, value: String(revokedAt) } },
      });
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'InvalidAuthenticationToken');
      assert.match(body.error.message, /Continuous access evaluation/);
      assert.deepEqual(
        graph.server.calls.map((c) => [c.status, c.caller, c.tokenId]),
        [[401, helen.id, 'uti-of-this-token']],
        'the call log names the token, never holds it',
      );
    });

    it('when the same token does not declare cp1, then Graph keeps honouring it until it expires', async function () {
      const helen = directory.user('helen');
      const token = await caeToken(helen, 10, { xms_cc: undefined });
      revokedNow(helen);
      assert.equal((await rawFetch('/v1.0/me', { token })).status, 200);
    });

    it('when a cp1 token was issued in the same second as the revocation, or after it, then it is honoured', async function () {
      const helen = directory.user('helen');
      revokedNow(helen);
      assert.equal((await rawFetch('/v1.0/me', { token: await caeToken(helen, 0) })).status, 200);
    });

    it('when the account behind a cp1 token is disabled, then every call is challenged, $batch too (before any step runs)', async function () {
      const helen = directory.user('helen');
      const token = await caeToken(helen, 0);
      helen.accountEnabled = false;
      const me = await rawFetch('/v1.0/me', { token });
      assert.equal(me.status, 401);
      assert.match(me.headers.get('www-authenticate') ?? '', /error="insufficient_claims"/);
      const batch = await rawFetch('/v1.0/$batch', {
        token,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/me' }] }),
      });
      assert.equal(batch.status, 401);
      assert.equal(graph.count(GRAPH_ROUTES.me), 1, 'no step ran');
    });
  });

  describe('$batch', function () {
    function revokeStep(id: string, user: DirectoryUser): Record<string, unknown> {
      return {
        id,
        method: 'POST',
        url: `/users/${user.id}/revokeSignInSessions`,
        headers: { 'Content-Type': 'application/json' },
        body: {},
      };
    }

    it('checks each step against its own row of the permission table: a token without User.RevokeSessions.All reads in a batch but cannot revoke or update devices', async function () {
      const adele = directory.user('adele');
      const [laptop] = [...directory.devices.values()].filter((d) => d.ownerId === adele.id);
      const client = await clientFor('grace', 'User.Read.All');
      const answer = (await client.api('/$batch').post({
        requests: [
          revokeStep('revoke', adele),
          { id: 'read', method: 'GET', url: `/users/${adele.id}?$select=id,displayName` },
          {
            id: 'device',
            method: 'PATCH',
            url: `/devices/${laptop!.id}`,
            headers: { 'Content-Type': 'application/json' },
            body: { accountEnabled: false },
          },
        ],
      })) as BatchAnswer;
      assert.deepEqual(
        answer.responses.map((r) => [r.id, r.status, r.body?.error?.code]),
        [
          ['revoke', 403, 'Authorization_RequestDenied'],
          ['read', 200, undefined],
          ['device', 403, 'Authorization_RequestDenied'],
        ],
      );
      assert.equal(adele.signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
      assert.equal(laptop!.accountEnabled, true);
    });

    it('refuses a batch of 21 requests as a whole with 400', async function () {
      const bulk = addBulkUsers(21);
      const client = await clientFor('uma', REVOKE);
      await assert.rejects(
        client.api('/$batch').post({ requests: bulk.map((u, i) => revokeStep(String(i + 1), u)) }),
        isGraphError(400, 'BadRequest'),
      );
      assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
      assert.ok(bulk.every((u) => u.signInSessionsValidFromDateTime === SEEDED_SESSIONS_VALID_FROM));
    });

    it('refuses duplicate ids (case-insensitive), a missing url and a write without Content-Type or body', async function () {
      const [first, second] = addBulkUsers(2);
      const client = await clientFor('uma', REVOKE);
      const batches = [
        [revokeStep('a', first!), revokeStep('A', second!)],
        [{ id: '1', method: 'GET' }],
        [{ id: '1', method: 'POST', url: `/users/${first!.id}/revokeSignInSessions` }],
        [{ id: '1', method: 'POST', url: `/users/${first!.id}/revokeSignInSessions`, body: {} }],
      ];
      for (const requests of batches) await assert.rejects(client.api('/$batch').post({ requests }), isGraphError(400, 'BadRequest'));
      assert.equal(graph.count(GRAPH_ROUTES.revoke), 0);
    });

    it('runs 20 revokes with the same token; an injected 429 shows as inner statuses with Retry-After, outer 200', async function () {
      const uma = directory.user('uma');
      const bulk = addBulkUsers(20);
      graph.injectFault({ route: GRAPH_ROUTES.revoke, status: 429, retryAfterInSeconds: 3, times: 3 });
      const client = await clientFor('uma', REVOKE);
      const answer = (await client.api('/$batch').post({ requests: bulk.map((u, i) => revokeStep(String(i + 1), u)) })) as BatchAnswer;
      assert.deepEqual(
        answer.responses.map((r) => r.id),
        bulk.map((_, i) => String(i + 1)),
      );
      const throttled = answer.responses.filter((r) => r.status === 429);
      const revoked = answer.responses.filter((r) => r.status === 200);
      assert.equal(throttled.length, 3);
      assert.equal(revoked.length, 17);
      for (const step of throttled) {
        assert.equal(step.headers['Retry-After'], '3');
        assert.equal(step.body?.error?.code, 'TooManyRequests');
        assert.equal(bulk[Number(step.id) - 1]?.signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
      }
      for (const step of revoked) assert.notEqual(bulk[Number(step.id) - 1]?.signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
      assert.equal(graph.count(GRAPH_ROUTES.revoke, uma.id), 20);
      assert.equal(graph.count(GRAPH_ROUTES.batch, uma.id), 1);
    });

    it("applies Entra's rules to each step: a Helpdesk Administrator's batch revokes Adele but not Grace", async function () {
      const client = await clientFor('helen', REVOKE);
      const answer = (await client.api('/$batch').post({
        requests: [
          revokeStep('adele', directory.user('adele')),
          revokeStep('grace', directory.user('grace')),
          { id: 'lookup', method: 'GET', url: '/users/grace@contoso.onmicrosoft.com?$select=id,displayName' },
        ],
      })) as BatchAnswer;
      assert.deepEqual(
        answer.responses.map((r) => [r.id, r.status]),
        [
          ['adele', 200],
          ['grace', 403],
          ['lookup', 200],
        ],
      );
      assert.equal(answer.responses[1]?.body?.error?.code, 'Authorization_RequestDenied');
      assert.equal(graph.count(GRAPH_ROUTES.getUser), 1);
    });

    it("accepts what the client's BatchRequestContent builds from absolute URLs (which keep /v1.0)", async function () {
      const [target] = addBulkUsers(1);
      const client = await clientFor('uma', REVOKE);
      const content = new BatchRequestContent([
        {
          id: '1',
          request: new Request(`${graph.endpoint}/v1.0/users/${target!.id}/revokeSignInSessions`, {
            method: 'POST',
            body: '{}',
            headers: { 'Content-Type': 'application/json' },
          }),
        },
      ]);
      const answer = new BatchResponseContent((await client.api('/$batch').post(await content.getContent())) as { responses: [] });
      assert.equal(answer.getResponseById('1').status, 200);
      assert.notEqual(target!.signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
    });

    it('fails a step with 424 when a step it depends on failed', async function () {
      const client = await clientFor('helen', REVOKE);
      const answer = (await client.api('/$batch').post({
        requests: [revokeStep('grace', directory.user('grace')), { ...revokeStep('adele', directory.user('adele')), dependsOn: ['grace'] }],
      })) as BatchAnswer;
      assert.deepEqual(
        answer.responses.map((r) => r.status),
        [403, 424],
      );
      assert.equal(directory.user('adele').signInSessionsValidFromDateTime, SEEDED_SESSIONS_VALID_FROM);
    });
  });

  describe('containment: accounts, passwords and devices', function () {
    it('lets a User Administrator disable a non-admin but not a Global Administrator; a Helpdesk Administrator cannot disable', async function () {
      const userAdmin = await clientFor('uma', 'User.ReadWrite.All');
      assert.equal(await userAdmin.api(`/users/${directory.user('adele').id}`).patch({ accountEnabled: false }), undefined);
      assert.equal(directory.user('adele').accountEnabled, false);
      await assert.rejects(
        userAdmin.api(`/users/${directory.user('grace').id}`).patch({ accountEnabled: false }),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
      const helpdesk = await clientFor('helen', 'User.ReadWrite.All');
      await assert.rejects(helpdesk.api(`/users/${directory.user('alex').id}`).patch({ accountEnabled: false }), isGraphError(403));
      assert.equal(directory.user('grace').accountEnabled, true);
      assert.equal(directory.user('alex').accountEnabled, true);
    });

    it('lets a Password Administrator reset a non-admin password but not a Helpdesk Administrator one, and refuses weak passwords', async function () {
      const client = await clientFor('paul', 'User-PasswordProfile.ReadWrite.All');
      await client
        .api(`/users/${directory.user('adele').id}`)
        .patch({ passwordProfile: { password: 'Correct-Horse-42', forceChangePasswordNextSignIn: true } });
      assert.equal(directory.user('adele').passwordProfile?.forceChangePasswordNextSignIn, true);
      assert.equal(JSON.stringify(directory.user('adele')).includes('Correct-Horse-42'), false, 'the password is not stored');
      await assert.rejects(
        client.api(`/users/${directory.user('helen').id}`).patch({ passwordProfile: { password: 'Correct-Horse-42' } }),
        isGraphError(403),
      );
      await assert.rejects(
        client.api(`/users/${directory.user('alex').id}`).patch({ passwordProfile: { password: 'short' } }),
        isGraphError(400, 'Request_BadRequest'),
      );
      await assert.rejects(
        client.api(`/users/${directory.user('alex').id}`).patch({ displayName: 'Renamed' }),
        isGraphError(400, 'Request_BadRequest'),
      );
    });

    it("lists a user's registered devices and lets only device administrators (or the owner, to disable) change them, with Directory.AccessAsUser.All", async function () {
      const reader = await clientFor('uma', 'User.Read.All Device.Read.All Directory.AccessAsUser.All');
      const devices = (await reader.api(`/users/${directory.user('adele').id}/registeredDevices`).get()) as Collection<{
        id: string;
        displayName: string;
        accountEnabled: boolean;
      }>;
      assert.deepEqual(devices.value.map((d) => d.displayName).sort(), ['ADELE-LAPTOP', "Adele's iPhone"]);
      const laptop = devices.value.find((d) => d.displayName === 'ADELE-LAPTOP');
      const phone = devices.value.find((d) => d.displayName === "Adele's iPhone");
      await assert.rejects(
        reader.api(`/devices/${laptop!.id}`).patch({ accountEnabled: false }),
        isGraphError(403, 'Authorization_RequestDenied'),
        'a User Administrator holds no device role',
      );
      const global = await clientFor('grace', 'Directory.AccessAsUser.All');
      await global.api(`/devices/${laptop!.id}`).patch({ accountEnabled: false });
      assert.equal(directory.devices.get(laptop!.id)?.accountEnabled, false);
      const owner = await clientFor('adele', 'Directory.AccessAsUser.All');
      await owner.api(`/devices/${phone!.id}`).patch({ accountEnabled: false });
      assert.equal(directory.devices.get(phone!.id)?.accountEnabled, false);
      await assert.rejects(owner.api(`/devices/${phone!.id}`).patch({ accountEnabled: true }), isGraphError(403));
      await assert.rejects(global.api(`/devices/${randomUUID()}`).patch({ accountEnabled: false }), isGraphError(404));
    });

    it('when a delegated token carries Device.ReadWrite.All, then a Global Administrator still cannot update a device: that permission is application-only', async function () {
      const [laptop] = [...directory.devices.values()].filter((d) => d.ownerId === directory.user('adele').id);
      const delegated = await clientFor('grace', 'User.Read.All Device.ReadWrite.All Directory.ReadWrite.All');
      await assert.rejects(
        delegated.api(`/devices/${laptop!.id}`).patch({ accountEnabled: false }),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
      assert.equal(directory.devices.get(laptop!.id)?.accountEnabled, true);
      const app = clientWith(await appToken(['Device.ReadWrite.All'])).client;
      await app.api(`/devices/${laptop!.id}`).patch({ accountEnabled: false });
      assert.equal(directory.devices.get(laptop!.id)?.accountEnabled, false, 'as an application permission it works');
    });

    it('when the token may read users but not devices, then registered devices come back with only their type and id (limited information)', async function () {
      const client = await clientFor('uma', 'User.Read.All');
      const devices = (await client
        .api(`/users/${directory.user('adele').id}/registeredDevices`)
        .select('id,displayName,accountEnabled')
        .get()) as Collection<Record<string, unknown>>;
      assert.equal(devices.value.length, 2);
      for (const device of devices.value) {
        assert.equal(device['@odata.type'], '#microsoft.graph.device');
        assert.match(String(device.id), /^[0-9a-f-]{36}$/);
        assert.equal(device.displayName, null);
        assert.equal(device.accountEnabled, null);
      }
      const withoutUsers = await clientFor('uma', 'Device.Read.All');
      await assert.rejects(
        withoutUsers.api(`/users/${directory.user('adele').id}/registeredDevices`).get(),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
    });

    it('when the token holds User.EnableDisableAccount.All without User.Read.All, then disabling is refused: the documented grant is the pair', async function () {
      const alone = await clientFor('uma', 'User.EnableDisableAccount.All');
      await assert.rejects(
        alone.api(`/users/${directory.user('adele').id}`).patch({ accountEnabled: false }),
        isGraphError(403, 'Authorization_RequestDenied'),
      );
      assert.equal(directory.user('adele').accountEnabled, true);
      const pair = await clientFor('uma', 'User.EnableDisableAccount.All User.Read.All');
      await pair.api(`/users/${directory.user('adele').id}`).patch({ accountEnabled: false });
      assert.equal(directory.user('adele').accountEnabled, false);
    });
  });
});
