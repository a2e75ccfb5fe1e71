import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  departmentFilter,
  displayNameFilter,
  groupNameFilter,
  odataQuery,
  odataString,
  parseOdataString,
  userPath,
  userPrincipalNameOrMailFilter,
} from '../../src/domain/odata';
import { evaluateFilter, parseFilter } from '../../emulator/graph/odata';
import { decodeQuery } from '../../emulator/queryString';
import { RandomText } from './randomText';

/** The key inside a path: what follows '/users/', or the inside of a key form's quotes. */
function keyOf(path: string): { form: 'path' | 'key'; key: string } {
  const keyForm = /^\/users\('(.*)'\)$/s.exec(path);
  if (keyForm) return { form: 'key', key: keyForm[1] ?? '' };
  assert.ok(path.startsWith('/users/'), path);
  return { form: 'path', key: path.slice('/users/'.length) };
}

/** The string with unpaired surrogates replaced by U+FFFD, as UTF-8 encoding does. */
function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Percent-decodes and undoes the key form's quote doubling: what Graph would read as the key. */
function decodedKey(path: string): string {
  const { form, key } = keyOf(path);
  const decoded = decodeURIComponent(key);
  return form === 'key' ? decoded.replaceAll("''", "'") : decoded;
}

describe('Graph user paths', function () {
  it('when given an object id, then the path is /users/ and the lower-case GUID', function () {
    assert.equal(userPath({ kind: 'objectId', id: '62E90394-69F5-4237-9190-012177145E10' }), '/users/62e90394-69f5-4237-9190-012177145e10');
  });

  it('when given an ordinary UPN, then @ and dots stay as they are', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: 'adele.vance@contoso.com' }), '/users/adele.vance@contoso.com');
  });

  it('when given a guest UPN, then each # of #EXT# is encoded as %23, not read as the URL fragment', function () {
    assert.equal(
      userPath({ kind: 'userPrincipalName', upn: 'gina_fabrikam.com#EXT#@contoso.onmicrosoft.com' }),
      '/users/gina_fabrikam.com%23EXT%23@contoso.onmicrosoft.com',
    );
  });

  it('when given a UPN with an apostrophe or ^ ! ~, then the unsafe ones are percent-encoded', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: "o'brien!^~@contoso.com" }), '/users/o%27brien%21%5E~@contoso.com');
  });

  it('when given a $-prefixed UPN, then the key form is used with $ kept, not read as an OData system segment', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: '$svc-backup@contoso.com' }), "/users('$svc-backup@contoso.com')");
  });

  it('when a $-prefixed UPN has a quote, then it is doubled inside the key form and encoded', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: "$o'b@contoso.com" }), "/users('$o%27%27b@contoso.com')");
    assert.equal(decodedKey(userPath({ kind: 'userPrincipalName', upn: "$o'b@contoso.com" })), "$o'b@contoso.com");
  });

  it('when the value is empty or only dots, then it cannot become a dot segment that climbs the path', function () {
    for (const value of ['', '.', '..', '...']) {
      const path = userPath({ kind: 'userPrincipalName', upn: value });
      assert.match(path, /^\/users\('\.*'\)$/);
      assert.equal(new URL(`https://graph.example/v1.0${path}`).pathname.startsWith('/v1.0/users'), true, path);
    }
  });

  it('when an object id is not a GUID, then it is encoded like any other key', function () {
    assert.equal(userPath({ kind: 'objectId', id: '../me?x=#' }), '/users/..%2Fme%3Fx%3D%23');
  });

  it('never throws, keeps the key free of raw # ? / % quotes and spaces, and decodes back to the value (3,000 random strings)', function () {
    const random = new RandomText(4242);
    for (let i = 0; i < 3000; i += 1) {
      const value = i % 5 === 0 ? `$${random.string(30)}` : random.string(40);
      const ref = i % 2 === 0 ? ({ kind: 'userPrincipalName', upn: value } as const) : ({ kind: 'objectId', id: value } as const);
      const path = userPath(ref);
      const { key } = keyOf(path);
      assert.doesNotMatch(key, /[#?/'" \s\\]|%(?![0-9A-F]{2})/u, `case ${i}: ${JSON.stringify(value)} → ${path}`);
      assert.match(key, /^[A-Za-z0-9\-_.~@$%]*$/, `case ${i}: only unreserved characters and escapes`);
      // Unpaired surrogates cannot survive UTF-8; they come back as U+FFFD.
      assert.equal(decodedKey(path), wellFormed(value), `case ${i}`);
      const url = new URL(`https://graph.example/v1.0${path}`);
      assert.equal(url.search, '', `case ${i}: no query string`);
      assert.equal(url.hash, '', `case ${i}: no fragment`);
      assert.ok(url.pathname.startsWith('/v1.0/users'), `case ${i}: stays under /users`);
    }
  });
});

describe('OData string literals and filters', function () {
  it("when a value has quotes, then they are doubled: o'brien → 'o''brien'", function () {
    assert.equal(odataString("o'brien"), "'o''brien'");
    assert.equal(odataString(''), "''");
    assert.equal(odataString("''"), "''''''");
  });

  it('when a literal is malformed, then reading it back gives undefined', function () {
    assert.equal(parseOdataString("'a'b'"), undefined);
    assert.equal(parseOdataString('abc'), undefined);
    assert.equal(parseOdataString("'"), undefined);
  });

  it('round-trips any string, and the literal never closes early (3,000 random strings)', function () {
    const random = new RandomText(31337);
    for (let i = 0; i < 3000; i += 1) {
      const value = i % 4 === 0 ? `x') or 1 eq 1 or ('${random.string(10)}` : random.string(50);
      const literal = odataString(value);
      assert.equal(parseOdataString(literal), value, `case ${i}`);
      // Inside the delimiters, every quote is part of a doubled pair.
      assert.doesNotMatch(literal.slice(1, -1).replaceAll("''", ''), /'/, `case ${i}`);
    }
  });

  it('when filtering by display name, then the text is a quoted startswith argument, percent-encoded', function () {
    assert.equal(displayNameFilter('Adele'), 'startswith%28displayName%2C%27Adele%27%29');
    assert.equal(decodeURIComponent(displayNameFilter("O'Brien")), "startswith(displayName,'O''Brien')");
    assert.equal(
      decodeURIComponent(displayNameFilter("x') or true or startswith(displayName,'")),
      "startswith(displayName,'x'') or true or startswith(displayName,''')",
    );
  });

  it('when filtering by sign-in name or mail, then both sides use the same quoted literal', function () {
    assert.equal(
      decodeURIComponent(userPrincipalNameOrMailFilter("o'b@contoso.com")),
      "userPrincipalName eq 'o''b@contoso.com' or mail eq 'o''b@contoso.com'",
    );
  });
});

/** What Graph reads as the $filter of `?$filter=<value>&$select=id`: decoded once, as the emulator (and Graph) decode it. */
function filterGraphReads(value: string): string | null {
  return decodeQuery(`$filter=${value}&$select=id`).get('$filter');
}

describe('query values on the wire', function () {
  it('when a department or group name holds &, #, + or %, then they reach Graph encoded and read back as the name', function () {
    assert.equal(departmentFilter('R&D'), 'department%20eq%20%27R%26D%27');
    assert.equal(departmentFilter('Sales & Marketing'), 'department%20eq%20%27Sales%20%26%20Marketing%27');
    assert.equal(groupNameFilter('C# Guild'), 'displayName%20eq%20%27C%23%20Guild%27');
    assert.equal(departmentFilter('A+B'), 'department%20eq%20%27A%2BB%27');
    for (const name of ['R&D', 'Sales & Marketing', 'C# Guild', 'A+B', '100% Sales', 'Zoë’s Team']) {
      assert.equal(filterGraphReads(departmentFilter(name)), `department eq ${odataString(name)}`, name);
    }
  });

  it('OData injection through a department name: percent-escapes in the name stay data, and the filter still names one department', function () {
    const hostile = 'Sales%27 or accountEnabled eq true or department eq %27x';
    const value = departmentFilter(hostile);
    assert.equal(value, 'department%20eq%20%27Sales%2527%20or%20accountEnabled%20eq%20true%20or%20department%20eq%20%2527x%27');
    const read = filterGraphReads(value);
    assert.equal(read, "department eq 'Sales%27 or accountEnabled eq true or department eq %27x'");
    const parsed = parseFilter(read ?? '');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { kind: 'compare', op: 'eq', property: 'department', value: hostile });
  });

  it('OData injection through a group name: a quote in the name is doubled before encoding, so the expression keeps its shape', function () {
    const parsed = parseFilter(filterGraphReads(groupNameFilter("x' or displayName eq 'Finance Team")) ?? '');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, { kind: 'compare', op: 'eq', property: 'displayName', value: "x' or displayName eq 'Finance Team" });
  });

  it('for any values, a built query value holds only unreserved characters and %XX, and Graph reads back exactly the expression with each value quoted (fast-check)', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), (a, b) => {
        const value = odataQuery`userPrincipalName eq ${a} or mail eq ${b}`;
        assert.match(value, /^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$/);
        const read = filterGraphReads(value);
        assert.equal(read, `userPrincipalName eq ${odataString(wellFormed(a))} or mail eq ${odataString(wellFormed(b))}`);
        const parsed = parseFilter(read ?? '');
        assert.ok(parsed.ok);
        // It selects by exactly these values: `a` matches, `a` with anything after it does not.
        assert.equal(
          evaluateFilter(parsed.value, (p) => (p === 'userPrincipalName' ? wellFormed(a) : undefined)),
          true,
        );
        assert.equal(
          evaluateFilter(parsed.value, (p) =>
            p === 'userPrincipalName' ? `${wellFormed(a)}'x` : p === 'mail' ? `${wellFormed(b)}x` : undefined,
          ),
          false,
        );
      }),
      { seed: 120_001, numRuns: 1000 },
    );
  });
});
