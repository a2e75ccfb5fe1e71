import assert from 'node:assert/strict';
import { displayNameFilter, odataString, parseOdataString, userPath, userPrincipalNameOrMailFilter } from '../../src/domain/odata';
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

  it('when given a guest UPN, then each # of #EXT# is encoded as %23 (graph.md §2.3)', function () {
    assert.equal(
      userPath({ kind: 'userPrincipalName', upn: 'gina_fabrikam.com#EXT#@contoso.onmicrosoft.com' }),
      '/users/gina_fabrikam.com%23EXT%23@contoso.onmicrosoft.com',
    );
  });

  it('when given a UPN with an apostrophe or ^ ! ~, then the unsafe ones are percent-encoded', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: "o'brien!^~@contoso.com" }), '/users/o%27brien%21%5E~@contoso.com');
  });

  it('when given a $-prefixed UPN, then the key form is used with $ kept (graph.md §2.3)', function () {
    assert.equal(userPath({ kind: 'userPrincipalName', upn: '$svc-backup@contoso.com' }), "/users('$svc-backup@contoso.com')");
  });

  it("when a $-prefixed UPN has a quote, then it is doubled inside the key form and encoded", function () {
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

  it('when filtering by display name, then the text is a quoted startswith argument', function () {
    assert.equal(displayNameFilter('Adele'), "startswith(displayName,'Adele')");
    assert.equal(displayNameFilter("O'Brien"), "startswith(displayName,'O''Brien')");
    assert.equal(displayNameFilter("x') or true or startswith(displayName,'"), "startswith(displayName,'x'') or true or startswith(displayName,''')");
  });

  it('when filtering by sign-in name or mail, then both sides use the same quoted literal', function () {
    assert.equal(userPrincipalNameOrMailFilter("o'b@contoso.com"), "userPrincipalName eq 'o''b@contoso.com' or mail eq 'o''b@contoso.com'");
  });
});
