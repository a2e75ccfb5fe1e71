/**
 * Property-based tests (fast-check, fixed seeds) of the way from what an agent types to what
 * reaches Graph: parseCommand → target → odata.ts. Thousands of hostile inputs; the parser
 * never throws and every Graph path or filter built from its output is fully escaped.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCommand, type Command, type IncomingMention } from '../../src/domain/command';
import { displayNameFilter, parseOdataString, odataString, userPath, userPrincipalNameOrMailFilter } from '../../src/domain/odata';
import { parseTarget, type TargetReference } from '../../src/domain/targetReference';
import { decodeQuery } from '../../emulator/queryString';
import { growthFactor, LINEAR_GROWTH_BOUND } from '../helpers/growth';
import { hostileCommand, hostileText, hugeTextOf, hugeTextParts } from '../helpers/hostileArbitraries';

const SEED = 20_250_801;

/** A path segment as odata.ts writes it: only unreserved characters, '@' (and '$' in the key form) raw, everything else %XX. */
const PATH_FORM = /^\/users\/((?:[A-Za-z0-9\-_.~@]|%[0-9A-F]{2})+)$/;
const KEY_FORM = /^\/users\('((?:[A-Za-z0-9\-_.~@$]|%[0-9A-F]{2})+)'\)$/;
const OBJECT_ID_FORM = /^\/users\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the Graph path for a target and that it addresses exactly that target. */
export function assertSafeUserPath(path: string, key: string): void {
  const inner = path.replace(/^\/users\('(.*)'\)$/s, '/users/$1');
  assert.doesNotMatch(inner, /[\s#?"'<>\\^`{|}\p{C}]/u, `raw metacharacter in ${JSON.stringify(path)}`);
  const pathForm = PATH_FORM.exec(path);
  const keyForm = KEY_FORM.exec(path);
  assert.ok(pathForm ?? keyForm, `unexpected path shape ${JSON.stringify(path)}`);
  const decoded = decodeURIComponent((pathForm?.[1] ?? keyForm?.[1])!);
  assert.equal(keyForm ? decoded.replaceAll("''", "'") : decoded, wellFormed(key), 'the path addresses exactly the typed key');
}

/** Lone surrogates as U+FFFD, as TextEncoder (and so odata.ts) encodes them. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** What Graph reads as a $filter value sent on the wire: percent-decoded once, as the emulator (and Graph) do. */
function asGraphReads(value: string): string {
  assert.match(value, /^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$/, `unencoded text in the query value ${JSON.stringify(value)}`);
  return decodeQuery(`$filter=${value}`).get('$filter') ?? '';
}

/** Checks an OData filter: encoded for the query string, and the user's text only inside one correctly quoted string literal. */
export function assertSafeFilter(filter: string, text: string): void {
  const startsWith = /^startswith\(displayName,('(?:[^']|'')*')\)$/.exec(asGraphReads(filter));
  assert.ok(startsWith, `unexpected filter shape ${JSON.stringify(filter)}`);
  assert.equal(parseOdataString(startsWith[1]!), wellFormed(text));
}

function checkTarget(target: TargetReference): void {
  switch (target.kind) {
    case 'userPrincipalName':
      assertSafeUserPath(userPath({ kind: 'userPrincipalName', upn: target.upn }), target.upn);
      return;
    case 'objectId':
      assert.match(userPath({ kind: 'objectId', id: target.id }), OBJECT_ID_FORM);
      return;
    case 'displayName':
      assertSafeFilter(displayNameFilter(target.text), target.text);
      return;
    case 'mention':
      assert.equal(typeof target.teamsId, 'string');
      return;
    case 'self':
      return;
  }
}

function checkCommand(command: Command): void {
  assert.ok(['revoke', 'revokeBulk', 'audit', 'whoami', 'help', 'invalid'].includes(command.kind), JSON.stringify(command));
  if (command.kind === 'revoke') checkTarget(command.target);
  if (command.kind === 'revokeBulk') {
    // A group or department name only ever reaches Graph as an OData string literal.
    const source = command.source;
    const name = source.kind === 'department' ? source.name : source.ref.kind === 'displayName' ? source.ref.name : undefined;
    if (name !== undefined) assert.equal(parseOdataString(odataString(name)), name);
    else if (source.kind === 'group' && source.ref.kind === 'objectId') assert.match(source.ref.id, /^[0-9a-f-]{36}$/);
  }
  if (command.kind === 'invalid') assert.ok(command.problem.detail.length > 0 && command.problem.detail.length < 2000);
  if (command.kind === 'help' && command.unrecognised !== undefined)
    assert.ok(Array.from(command.unrecognised).length <= 60, command.unrecognised);
}

const mentionArbitrary: fc.Arbitrary<IncomingMention> = fc.record({
  teamsId: fc.oneof(fc.constant('29:1abc'), hostileText(4)),
  name: hostileText(4),
  text: fc.oneof(
    hostileText(4).map((t) => `<at>${t}</at>`),
    hostileText(4),
  ),
});

/** A message with its mentions: hostile text with mentions appended, or `revoke <at>…</at>` alone. */
const messageArbitrary: fc.Arbitrary<{ text: string; mentions: IncomingMention[] }> = fc.oneof(
  fc
    .tuple(hostileCommand(), fc.array(mentionArbitrary, { maxLength: 3 }))
    .map(([text, mentions]) => ({ text: mentions.reduce((t, m) => `${t} ${m.text}`, text), mentions })),
  mentionArbitrary.map((m) => ({ text: `revoke ${m.text}`, mentions: [m] })),
);

describe('the command parser and Graph addressing, property-based', function () {
  this.timeout(20_000);

  it('never throws for 3,000 hostile commands, and every target becomes an escaped Graph path or filter', function () {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(messageArbitrary, ({ text, mentions }) => {
        const command = parseCommand({ text, mentions });
        checkCommand(command);
        const kind = command.kind === 'revoke' ? command.target.kind : command.kind;
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // The inputs really reach every branch that builds Graph requests.
    for (const kind of ['userPrincipalName', 'displayName', 'mention', 'invalid', 'help'])
      assert.ok((seen.get(kind) ?? 0) >= 50, `${kind}: ${seen.get(kind) ?? 0}`);
  });

  it('never throws for 2,000 target texts of any unicode, and every accepted target is escaped', function () {
    fc.assert(
      fc.property(
        fc.oneof(hostileText(20), fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 })),
        (text) => {
          const parsed = parseTarget(text, []);
          if (parsed.ok) checkTarget(parsed.value);
          else assert.ok(parsed.error.detail.length > 0);
        },
      ),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });

  it('for 40 texts of 100 kB, answers without throwing', function () {
    fc.assert(
      fc.property(hugeTextParts, (parts) => {
        checkCommand(parseCommand({ text: hugeTextOf(parts, 100_000), mentions: [] }));
      }),
      { seed: SEED + 2, numRuns: 40 },
    );
  });

  it('for 12 such texts, 16 times the text takes about 16 times as long to parse, not 256 (linear, measured as a ratio)', function () {
    fc.assert(
      fc.property(hugeTextParts, (parts) => {
        const growth = growthFactor(
          (size) => hugeTextOf(parts, size),
          (text) => parseCommand({ text, mentions: [] }),
          100_000 / 16,
        );
        assert.ok(growth < LINEAR_GROWTH_BOUND, `16 times the input took ${growth.toFixed(1)} times as long`);
      }),
      { seed: SEED + 2, numRuns: 12 },
    );
  });

  it('for any string, the UPN path, the name filter and the UPN-or-mail filter escape it and give it back exactly', function () {
    fc.assert(
      fc.property(fc.oneof(hostileText(20), fc.string({ unit: 'binary', maxLength: 60 })), (text) => {
        if (text.length > 0) assertSafeUserPath(userPath({ kind: 'userPrincipalName', upn: text }), text);
        assertSafeFilter(displayNameFilter(text), text);
        const either = /^userPrincipalName eq ('(?:[^']|'')*') or mail eq ('(?:[^']|'')*')$/.exec(
          asGraphReads(userPrincipalNameOrMailFilter(text)),
        );
        assert.ok(either, userPrincipalNameOrMailFilter(text));
        assert.equal(parseOdataString(either[1]!), wellFormed(text));
        assert.equal(either[1], either[2]);
      }),
      { seed: SEED + 3, numRuns: 2000 },
    );
  });

  it('a planted raw quote or hash in a path would be caught by these checks', function () {
    assert.throws(() => assertSafeUserPath("/users/o'brien@contoso.com", "o'brien@contoso.com"));
    assert.throws(() => assertSafeUserPath('/users/gina#EXT#@contoso.com', 'gina#EXT#@contoso.com'));
    assert.throws(() => assertSafeFilter("startswith(displayName,'a' or 'b')", "a' or 'b"));
    assert.throws(() => assertSafeFilter('startswith%28displayName%2C%27a%27%20or%20%27b%27%29', "a' or 'b"), 'encoded but not quoted');
    assert.throws(() => assertSafeUserPath('/users/adele%40contoso.com', 'alex@contoso.com'));
  });
});
