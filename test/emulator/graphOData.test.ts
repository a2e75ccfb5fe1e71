import assert from 'node:assert/strict';
import {
  checkFilter,
  decodeSkipToken,
  encodeSkipToken,
  evaluateFilter,
  evaluateSearch,
  parseFilter,
  parseSearch,
  parseSelect,
  parseStringLiteral,
  parseTop,
} from '../../emulator/graph/odata';
import { USER_FILTERS } from '../../emulator/graph/resources';

describe("the emulated Graph's OData parsing", function () {
  it('reads string literals with doubled quotes and refuses a lone quote', function () {
    assert.equal(parseStringLiteral("'liam.o''brien@contoso.com'"), "liam.o'brien@contoso.com");
    assert.equal(parseStringLiteral("''"), '');
    assert.equal(parseStringLiteral("'liam.o'brien'"), undefined);
    assert.equal(parseStringLiteral('liam'), undefined);
    assert.equal(parseStringLiteral("'unterminated"), undefined);
  });

  it('parses and evaluates startswith, eq, and, or, not and parentheses', function () {
    const parsed = parseFilter("(startswith(displayName,'Meg') and department eq 'finance') or userPrincipalName eq 'o''brien@x'");
    assert.ok(parsed.ok);
    const user: Record<string, unknown> = { displayName: 'Megan Bowman', department: 'Finance', userPrincipalName: 'megan@x' };
    assert.equal(
      evaluateFilter(parsed.value, (p) => user[p]),
      true,
    );
    assert.equal(
      evaluateFilter(parsed.value, (p) => ({ ...user, department: 'Sales' })[p]),
      false,
    );
    assert.equal(
      evaluateFilter(parsed.value, (p) => (({ userPrincipalName: "O'Brien@x" }) as Record<string, unknown>)[p]),
      true,
    );
    const negated = parseFilter('not(accountEnabled eq true)');
    assert.ok(negated.ok);
    assert.equal(
      evaluateFilter(negated.value, (p) => (({ accountEnabled: false }) as Record<string, unknown>)[p]),
      true,
    );
  });

  it('refuses malformed filters as Request_BadRequest and unsupported ones as Request_UnsupportedQuery', function () {
    for (const text of [
      "displayName eq 'x",
      'displayName eq',
      'startswith(displayName)',
      "displayName eq 'a' and",
      "displayName eq 'a')",
      "displayName = 'a'",
      '',
    ]) {
      const parsed = parseFilter(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.equal(parsed.code, 'Request_BadRequest', text);
    }
    for (const text of ["contains(displayName,'a')", "createdDateTime ge '2020-01-01'"]) {
      const parsed = parseFilter(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.equal(parsed.code, 'Request_UnsupportedQuery', text);
    }
  });

  it('tells basic filters from advanced ones and refuses unknown or unfilterable properties', function () {
    const check = (text: string) => {
      const parsed = parseFilter(text);
      assert.ok(parsed.ok, text);
      return checkFilter(parsed.value, USER_FILTERS);
    };
    assert.deepEqual(check("department eq 'Sales'"), { ok: true, value: { advanced: false } });
    assert.deepEqual(check("endswith(mail,'@x.com')"), { ok: true, value: { advanced: true } });
    assert.deepEqual(check("department ne 'Sales'"), { ok: true, value: { advanced: true } });
    const unknown = check("shoeSize eq '42'");
    assert.equal(unknown.ok ? 'ok' : unknown.code, 'Request_BadRequest');
    const unfilterable = check("signInSessionsValidFromDateTime eq 'x'");
    assert.equal(unfilterable.ok ? 'ok' : unfilterable.code, 'Request_UnsupportedQuery');
  });

  it('parses $search clauses with AND binding tighter than OR, and matches token prefixes', function () {
    const parsed = parseSearch(
      '"displayName:liam" OR "displayName:megan" AND "mail:bowman"',
      ['displayName', 'mail'],
      'microsoft.graph.user',
    );
    assert.ok(parsed.ok);
    const matches = (user: Record<string, unknown>) => evaluateSearch(parsed.value, (p) => user[p]);
    assert.equal(matches({ displayName: "Liam O'Brien" }), true);
    assert.equal(matches({ displayName: 'Megan Bowen', mail: 'megan.bowen@x' }), false);
    assert.equal(matches({ displayName: 'Megan Bowman', mail: 'megan.bowman@x' }), true);
    assert.equal(parseSearch('displayName:liam', ['displayName'], 'microsoft.graph.user').ok, false);
    assert.equal(parseSearch('"jobTitle:x"', ['displayName'], 'microsoft.graph.user').ok, false);
    assert.equal(parseSearch('"displayName:a" OR', ['displayName'], 'microsoft.graph.user').ok, false);
  });

  it('reads $select case-insensitively into canonical names, and bounds $top', function () {
    assert.deepEqual(parseSelect('ID,displayname,id', ['id', 'displayName'], 't'), { ok: true, value: ['id', 'displayName'] });
    assert.equal(parseSelect('id,,displayName', ['id', 'displayName'], 't').ok, false);
    assert.deepEqual(parseTop('999'), { ok: true, value: 999 });
    for (const text of ['0', '1000', '-1', '2.5', 'ten']) assert.equal(parseTop(text).ok, false, text);
  });

  it('round-trips skip tokens and refuses forged ones', function () {
    assert.deepEqual(decodeSkipToken(encodeSkipToken(42)), { ok: true, value: 42 });
    assert.equal(decodeSkipToken('42').ok, false);
    assert.equal(decodeSkipToken(`RFNwdA${Buffer.from('offset:-1').toString('base64url')}`).ok, false);
  });
});
