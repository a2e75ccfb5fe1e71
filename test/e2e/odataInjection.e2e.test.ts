/**
 * Names that are OData or URL syntax, end to end: a helpdesk agent types them in Teams, the real
 * bot asks the emulated Graph through the real Graph JS client, and each selects exactly the users
 * it names. The emulated Graph decodes query strings as Graph does, so a value that reached the
 * wire unencoded would select other people here too.
 */
import assert from 'node:assert/strict';
import { departmentFilter, groupNameFilter } from '../../src/domain/odata';
import { addBulkPopulation, type DirectoryUser } from '../../emulator/directory';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { RecordedCall } from '../../emulator/httpServer';
import { startE2E, type E2E } from '../helpers/e2e';
import { currentCard, sendForCard, textOf } from '../helpers/flows';

const HOSTILE_DEPARTMENT = 'Sales%27 or accountEnabled eq true or department eq %27x';
const HOSTILE_GROUP = 'x%27 or displayName eq %27Finance Team';

/** The user ids Graph revoked (2xx) since call `from`, from the emulated Graph's call log. */
function revokedSince(e2e: E2E, from: number): string[] {
  return e2e.cloud.graph.server.calls
    .slice(from)
    .filter((call) => call.route === GRAPH_ROUTES.revoke && call.status < 300)
    .map((call) => /\/users\/([0-9a-f-]{36})\/revokeSignInSessions/.exec(call.path)?.[1] ?? '?');
}

/** The query string options of the calls of a route since `from`, exactly as they went over the wire. */
function wireOptions(e2e: E2E, route: string, from: number): string[][] {
  return e2e.cloud.graph.server.calls
    .slice(from)
    .filter((call: RecordedCall) => call.route === route)
    .map((call) => (call.query ?? '').split('&'));
}

describe('OData injection through names, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  const departments = new Map<string, DirectoryUser[]>();
  let guild: DirectoryUser[];

  before(async function () {
    e2e = await startE2E({
      env: { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '1000', RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '1000' },
      prepare: (cloud) => {
        // Distinct labels: generated ids and sign-in names follow the label.
        for (const [i, [department, count]] of (
          [
            ['Sales', 3],
            ['R&D', 3],
            ['Sales & Marketing', 4],
            ['C# Guild', 2],
            ['A+B', 2],
            ['A B', 2],
          ] as const
        ).entries()) {
          departments.set(
            department,
            addBulkPopulation(cloud.directory, { department, count, privileged: 0, label: `Department ${i}` }).users,
          );
        }
        guild = addBulkPopulation(cloud.directory, { group: 'C# Guild', count: 3, privileged: 0, label: 'Guild members' }).users;
        cloud.directory.addGroup({ id: '../users', displayName: 'Odd Ids', members: [guild[0]!.id] });
        return {};
      },
    });
  });

  after(async function () {
    await e2e?.stop();
  });

  /** `revoke <source>` then "Revoke all": the ids Graph revoked. */
  async function revokeAll(command: string, expectedCount: number): Promise<string[]> {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, command);
    assert.match(textOf(card.card), new RegExp(`${expectedCount} users in`), textOf(card.card));
    const from = e2e.cloud.graph.server.calls.length;
    await teams.click(uma, card, `Revoke all ${expectedCount}`);
    await teams.waitForMessage(chat, (m) => m.id === card.id && textOf(m.card).includes('Bulk revocation finished'), 20_000);
    assert.match(textOf(currentCard(teams, chat, card.id)), new RegExp(`${expectedCount} revoked`));
    return revokedSince(e2e, from);
  }

  for (const name of ['R&D', 'Sales & Marketing', 'C# Guild', 'A+B', 'A B']) {
    it(`when an agent revokes department “${name}”, then exactly its users are revoked and the name went over the wire percent-encoded`, async function () {
      const from = e2e.cloud.graph.server.calls.length;
      const users = departments.get(name)!;
      const revoked = await revokeAll(`revoke department "${name}"`, users.length);
      assert.deepEqual(revoked.sort(), users.map((u) => u.id).sort());
      const listings = wireOptions(e2e, GRAPH_ROUTES.listUsers, from);
      assert.ok(listings.length > 0);
      for (const options of listings) assert.ok(options.includes(`$filter=${departmentFilter(name)}`), options.join('&'));
    });
  }

  it('OData injection through a department name: a name holding %27 selects nobody instead of every enabled user', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const from = e2e.cloud.graph.server.calls.length;
    const answer = await sendForCard(teams, uma, teams.personalChat(uma), `revoke department "${HOSTILE_DEPARTMENT}"`);
    assert.match(textOf(answer.card), /Nobody to revoke/);
    assert.deepEqual(
      wireOptions(e2e, GRAPH_ROUTES.listUsers, from)[0]?.filter((o) => o.startsWith('$filter=')),
      [`$filter=${departmentFilter(HOSTILE_DEPARTMENT)}`],
    );
    assert.deepEqual(revokedSince(e2e, from), []);
  });

  it('when an agent revokes group “C# Guild”, then the group is found by its exact name and only its members are revoked', async function () {
    const from = e2e.cloud.graph.server.calls.length;
    const revoked = await revokeAll('revoke group "C# Guild"', guild.length);
    assert.deepEqual(revoked.sort(), guild.map((u) => u.id).sort());
    assert.ok(wireOptions(e2e, GRAPH_ROUTES.listGroups, from)[0]?.includes(`$filter=${groupNameFilter('C# Guild')}`));
  });

  it('OData injection through a group name: a name holding %27 finds no group instead of Finance Team', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const from = e2e.cloud.graph.server.calls.length;
    const answer = await sendForCard(teams, uma, teams.personalChat(uma), `revoke group "${HOSTILE_GROUP}"`);
    assert.match(textOf(answer.card), /Not found/);
    assert.ok(wireOptions(e2e, GRAPH_ROUTES.listGroups, from)[0]?.includes(`$filter=${groupNameFilter(HOSTILE_GROUP)}`));
    assert.deepEqual(wireOptions(e2e, GRAPH_ROUTES.groupTransitiveMembers, from), [], 'no group’s members were read');
  });

  it('Path traversal through an id Graph returns: a group whose id is not a GUID never becomes a path', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const from = e2e.cloud.graph.server.calls.length;
    const answer = await sendForCard(teams, uma, teams.personalChat(uma), 'revoke group "Odd Ids"');
    // A reply holding a forged id is not trusted at all: Graph answered in a way we did not expect.
    assert.match(textOf(answer.card), /answered in a way we did not expect/);
    const paths = e2e.cloud.graph.server.calls.slice(from).map((call) => call.path);
    assert.deepEqual(paths, ['/v1.0/groups'], 'only the lookup by name');
  });
});
