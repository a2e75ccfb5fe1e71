import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeComponent, decodeQuery, splitRequestTarget } from '../../emulator/queryString';

const entries = (raw: string): [string, string][] => [...decodeQuery(raw)];

describe('the emulator reads query strings as Graph does', function () {
  it('when options are separated by raw &, then each is one option; %26 is data, not a separator', function () {
    assert.deepEqual(entries("$filter=department eq 'R&D'&$top=5"), [
      ['$filter', "department eq 'R"],
      ["D'", ''],
      ['$top', '5'],
    ]);
    assert.deepEqual(entries('$filter=department%20eq%20%27R%26D%27&$top=5'), [
      ['$filter', "department eq 'R&D'"],
      ['$top', '5'],
    ]);
  });

  it('when a raw + is sent, then it is a space; %2B is the plus sign', function () {
    assert.deepEqual(entries("$filter=mail+eq+'a+b@contoso.com'"), [['$filter', "mail eq 'a b@contoso.com'"]]);
    assert.deepEqual(entries('$filter=mail%20eq%20%27a%2Bb%40contoso.com%27'), [['$filter', "mail eq 'a+b@contoso.com'"]]);
  });

  it('when escapes are nested, then they are decoded exactly once: %2527 is the text %27, never a quote', function () {
    assert.equal(decodeComponent('Sales%2527'), 'Sales%27');
    assert.equal(decodeComponent('Sales%27'), "Sales'");
  });

  it('when a % is not followed by two hex digits, then it stays as it is; bytes that are not UTF-8 become U+FFFD', function () {
    assert.equal(decodeComponent('100%'), '100%');
    assert.equal(decodeComponent('%zz%4'), '%zz%4');
    assert.equal(decodeComponent('%C3%A9%C3'), 'é\uFFFD');
    assert.equal(decodeComponent('%EF%BB%BFx'), '\uFEFFx', 'a byte order mark is data');
  });

  it('when a name has no =, then its value is empty; a value keeps every = after the first', function () {
    assert.deepEqual(entries('flag&$skiptoken=a=b=='), [
      ['flag', ''],
      ['$skiptoken', 'a=b=='],
    ]);
  });

  it('when the target holds a #, then the query ends there: a fragment is never part of it', function () {
    assert.deepEqual(splitRequestTarget("/v1.0/groups?$filter=displayName eq 'C#Guild'&$top=1"), {
      rawPath: '/v1.0/groups',
      rawQuery: "$filter=displayName eq 'C",
    });
    assert.deepEqual(splitRequestTarget('/v1.0/users/a#b?x=1'), { rawPath: '/v1.0/users/a', rawQuery: '' });
    assert.deepEqual(entries('$filter=a#&$top=1'), [['$filter', 'a']]);
  });

  it('for any name and value, encodeURIComponent on the way out and decodeQuery on the way in give them back (fast-check)', function () {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        (name, value) => {
          assert.deepEqual(entries(`${encodeURIComponent(name)}=${encodeURIComponent(value)}&next=1`), [
            [name, value],
            ['next', '1'],
          ]);
        },
      ),
      { seed: 120_002, numRuns: 500 },
    );
  });
});
