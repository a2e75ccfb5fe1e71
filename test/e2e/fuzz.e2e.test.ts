/**
 * Property-based tests end to end (fast-check, fixed seeds): generated hostile messages and
 * card actions through the emulated Teams channel into the real bot. Every turn is answered,
 * nothing crashes, every Graph request the bot makes is addressed only through odata.ts, and
 * forged card actions never revoke anything.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VERB } from '../../src/cards/verbs';
import { parseCommand } from '../../src/domain/command';
import { displayNameFilter, parseOdataString, userPath } from '../../src/domain/odata';
import { GRAPH_ROUTES } from '../../emulator/graph';
import type { RecordedCall } from '../../emulator/httpServer';
import { decodeQuery } from '../../emulator/queryString';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf, requestIdOf } from '../helpers/flows';
import { hostileCommand, hostileText, hugeText } from '../helpers/hostileArbitraries';

const SEED = 8_080_808;
const GUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QUERY_NAMES = new Set(['$select', '$filter', '$top']);

/** Only unreserved characters and '@' raw (plus '$' in the key form); everything else %XX. Independent of odata.ts. */
const ENCODED_SEGMENT = /^(?:[A-Za-z0-9\-_.~@]|%[0-9A-F]{2})+$/;
const ENCODED_KEY = /^(?:[A-Za-z0-9\-_.~@$]|%[0-9A-F]{2})+$/;

/** What the agent's text asked Graph for, as the parser reads it (the test's own oracle). */
interface Expected {
  readonly upn?: string;
  readonly name?: string;
}

function expectedOf(text: string): Expected {
  const command = parseCommand({ text, mentions: [] });
  if (command.kind !== 'revoke') return {};
  if (command.target.kind === 'userPrincipalName') return { upn: command.target.upn };
  if (command.target.kind === 'displayName') return { name: command.target.text };
  return {};
}

/**
 * A Graph call as odata.ts builds it: the user segment holds no raw #, ?, quote, space or other
 * text outside the unreserved set, decodes to exactly the person the agent typed, and is what
 * userPath() makes of it; a $filter is exactly displayNameFilter() of the name typed.
 */
function assertBuiltThroughOdata(call: RecordedCall, expected: Expected = {}): void {
  const where = `${call.method} ${call.path}?${call.query ?? ''}`;
  const path = call.path.replace(/^\/v1\.0/, '');
  assert.notEqual(path, call.path, `no version: ${where}`);
  const shape = /^(?:\/me|\/users(?:\/([^/]+)|\('([^/]*)'\))?)(\/transitiveMemberOf|\/revokeSignInSessions)?$/.exec(path);
  assert.ok(shape, `unexpected Graph path: ${where}`);
  const segment = shape[1];
  const key = shape[2];
  if (segment !== undefined) {
    if (!GUID_SEGMENT.test(segment)) {
      assert.match(segment, ENCODED_SEGMENT, `unencoded text in the path: ${where}`);
      const upn = decodeURIComponent(segment);
      if (expected.upn !== undefined) assert.equal(upn, expected.upn, `the path addresses someone else: ${where}`);
      assert.equal(`/users/${segment}`, userPath({ kind: 'userPrincipalName', upn }), `not built by userPath: ${where}`);
    }
  } else if (key !== undefined) {
    assert.match(key, ENCODED_KEY, `unencoded text in the key: ${where}`);
    const upn = decodeURIComponent(key).replaceAll("''", "'");
    if (expected.upn !== undefined) assert.equal(upn, expected.upn, `the path addresses someone else: ${where}`);
    assert.equal(`/users('${key}')`, userPath({ kind: 'userPrincipalName', upn }), `not built by userPath: ${where}`);
  }
  const query = call.query ?? '';
  assert.doesNotMatch(query, /[\s#'"<>\\^`{|}]/, `raw metacharacter in the query: ${where}`);
  const params = decodeQuery(query);
  for (const name of params.keys()) assert.ok(QUERY_NAMES.has(name), `unexpected query parameter ${name}: ${where}`);
  const filter = params.get('$filter');
  if (filter !== null) {
    const literal = /^startswith\(displayName,('(?:[^']|'')*')\)$/.exec(filter)?.[1];
    const text = literal === undefined ? undefined : parseOdataString(literal);
    assert.ok(text !== undefined, `filter not built by odata.ts: ${where}`);
    // On the wire exactly as odata.ts encodes it.
    assert.ok(query.split('&').includes(`$filter=${displayNameFilter(text)}`), `filter not built by odata.ts: ${where}`);
    if (expected.name !== undefined) assert.equal(text, expected.name, `the filter searches for something else: ${where}`);
  }
}

/** Markers the generators use in place of huge strings, so a failing case prints short; expanded before sending. */
const HUGE = '<100 kB>';
const HUGE_BLOB = '<200 k é>';

function expandHuge(value: unknown, depth = 0): unknown {
  if (value === HUGE) return 'x'.repeat(100_000);
  if (value === HUGE_BLOB) return 'é'.repeat(200_000);
  if (depth > 50 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => expandHuge(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandHuge(v, depth + 1)]));
}

describe('hostile messages and card actions, end to end (property-based)', function () {
  this.timeout(60_000);
  let e2e: E2E;

  before(async function () {
    // Generous limits: these tests send hundreds of turns as one person on purpose.
    e2e = await startE2E({
      env: { RATE_LIMIT_USER_COMMANDS_PER_MINUTE: '100000', RATE_LIMIT_TENANT_COMMANDS_PER_MINUTE: '100000', LOG_LEVEL: 'info' },
    });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when an agent sends 150 generated hostile messages, then every one is answered and every Graph request is built through odata.ts', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    await sendForCard(teams, uma, chat, 'revoke adele@contoso.onmicrosoft.com');
    const firstCall = graph.server.calls.length;
    let reachedGraph = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 30, arbitrary: hostileCommand() }, { weight: 1, arbitrary: hugeText }), async (text) => {
        const seen = teams.messages(chat).length;
        const before = graph.server.calls.length;
        const turn = await teams.send(uma, chat, text);
        if (text.length >= 100_000) assert.ok(turn.status === 200 || turn.status === 413, `huge message answered ${turn.status}`);
        else {
          assert.equal(turn.status, 200, `answered ${turn.status}: ${textOf(turn.body)}`);
          assert.ok(teams.messages(chat).length > seen, 'the agent got an answer');
        }
        if (graph.server.calls.length > before) reachedGraph += 1;
        for (const call of graph.server.calls.slice(before)) assertBuiltThroughOdata(call, expectedOf(text));
      }),
      { seed: SEED, numRuns: 150 },
    );
    assert.ok(reachedGraph >= 30, `only ${reachedGraph} messages reached Graph: the inputs must exercise the Graph paths`);
    assert.ok(
      graph.server.calls.slice(firstCall).some((c) => c.query?.includes('filter')),
      'some searches by name reached Graph',
    );
    assert.equal(graph.count(GRAPH_ROUTES.revoke) + graph.count(GRAPH_ROUTES.revokeMe), 0, 'a message never revokes');
  });

  it('when 300 generated card actions carry wrong types, missing fields, huge data, other people’s request ids and changed verbs, then each is answered and nothing is revoked', async function () {
    const { teams, directory, graph } = e2e.cloud;
    const uma = directory.user('uma');
    const helen = directory.user('helen');
    const alex = directory.user('alex');
    const umaChat = teams.personalChat(uma);
    const group = teams.groupChat([uma, helen, alex]);
    // Requests to aim at: Helen's pending one (someone else's), Helen's pick list, and Uma's own finished ones.
    const helens = await sendForCard(teams, helen, group, 'revoke megan.bowen@contoso.onmicrosoft.com');
    const helensPick = await sendForCard(teams, helen, group, 'revoke Megan');
    const umasDone = await sendForCard(teams, uma, umaChat, 'revoke alex@contoso.onmicrosoft.com');
    assert.match(textOf((await teams.click(uma, umasDone, 'Revoke sessions')).card), /Sessions revoked/);
    const umasCancelled = await sendForCard(teams, uma, umaChat, "revoke liam.o'brien@contoso.onmicrosoft.com");
    await teams.click(uma, umasCancelled, 'Cancel');
    const ids = [helens, umasDone, umasCancelled].map((m) => requestIdOf(m.card));
    const pickId = /"subjectId":"([0-9a-f-]{36})"/.exec(textOf(helensPick.card))?.[1] ?? '00000000-0000-4000-8000-000000000000';
    const revokesBefore = graph.count(GRAPH_ROUTES.revoke) + graph.count(GRAPH_ROUTES.revokeMe);

    const requestId = fc.oneof(
      { weight: 16, arbitrary: fc.constantFrom(...ids, pickId, ids[0]!.toUpperCase()) },
      { weight: 1, arbitrary: fc.constantFrom(` ${String(ids[0])}`, `${String(ids[0])}\u0000`, '../../etc/passwd', "' or 1 eq 1") },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: hostileText(6) },
      { weight: 1, arbitrary: fc.anything() },
      { weight: 1, arbitrary: fc.constant(HUGE) },
    );
    const verb = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...Object.values(VERB)) },
      { weight: 1, arbitrary: fc.oneof(hostileText(3), fc.anything()) },
    );
    const type = fc.oneof(
      { weight: 12, arbitrary: fc.constant('Action.Execute') },
      { weight: 1, arbitrary: fc.oneof(fc.constantFrom('Action.Submit', 'action.execute', ''), fc.anything()) },
    );
    const data = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record(
          { requestId, choice: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.anything()), extra: fc.anything() },
          { requiredKeys: ['requestId'] },
        ),
      },
      { weight: 1, arbitrary: fc.anything({ maxDepth: 40 }) },
      { weight: 1, arbitrary: fc.constant({ requestId: ids[0], blob: HUGE_BLOB }) },
    );
    const action = fc.oneof(
      { weight: 12, arbitrary: fc.record({ type, verb, data, id: fc.string() }, { requiredKeys: ['type', 'verb', 'data'] }) },
      { weight: 1, arbitrary: fc.anything() },
    );
    const value = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record(
          {
            action,
            trigger: fc.constantFrom('manual', 'automatic', 'bogus'),
            authentication: fc.record(
              {
                id: fc.string(),
                connectionName: fc.string(),
                token: fc.oneof(hostileText(4), fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')),
              },
              { requiredKeys: [] },
            ),
            state: fc.oneof(fc.constant('123456'), hostileText(3)),
          },
          { requiredKeys: ['action'] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    );
    const name = fc.oneof(
      { weight: 8, arbitrary: fc.constant('adaptiveCard/action') },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.constantFrom('signin/tokenExchange', 'signin/verifyState', 'task/fetch', 'composeExtension/query'),
          hostileText(3),
        ),
      },
    );
    const senders = [
      { user: uma, chat: umaChat, message: umasDone },
      { user: uma, chat: group, message: helens },
      { user: alex, chat: group, message: helensPick },
    ];
    const who = fc.integer({ min: 0, max: senders.length - 1 });

    let cardActions = 0;
    let reachedHandlers = 0;
    await fc.assert(
      fc.asyncProperty(who, name, value, async (senderIndex, invokeName, generated) => {
        const sender = senders[senderIndex]!;
        const invokeValue = expandHuge(generated);
        const activity = teams.invokeActivityFor(sender.user, sender.chat, sender.message, invokeName, invokeValue);
        const answer = await teams.postActivity(activity);
        const where = `${invokeName} → ${answer.status} ${textOf(answer.body).slice(0, 300)}`;
        assert.notEqual(answer.status, 0, `no answer: ${where}`);
        assert.notEqual(answer.status, 500, where);
        if (Buffer.byteLength(JSON.stringify(activity)) > 256 * 1024) {
          assert.equal(answer.status, 413, where);
          assert.match(textOf(answer.body), /too large/, where);
          return;
        }
        if (invokeName === 'adaptiveCard/action') {
          cardActions += 1;
          assert.ok(answer.status === 200 || answer.status === 401, where);
          const body = answer.body as { statusCode?: unknown; type?: unknown; value?: unknown } | undefined;
          assert.ok(body && typeof body.type === 'string' && body.value !== undefined, `an answer with a body: ${where}`);
          if (!textOf(body).includes('This button isn’t one Session Revoker knows')) reachedHandlers += 1;
        } else {
          // Sign-in invokes answer 200/4xx; an invoke the bot does not handle is botbuilder's 501 Not Implemented.
          assert.ok(answer.status < 500 || answer.status === 501, where);
        }
        assert.equal(graph.count(GRAPH_ROUTES.revoke) + graph.count(GRAPH_ROUTES.revokeMe), revokesBefore, `revoked after ${where}`);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
    assert.ok(cardActions >= 200, `${cardActions} card actions`);
    assert.ok(reachedHandlers >= 80, `only ${reachedHandlers} card actions got past the shape checks to the verb handlers`);
    const health = await fetch(`${e2e.bot.url}/healthz`);
    assert.equal(health.status, 200, 'the bot is still up');
  });
});
