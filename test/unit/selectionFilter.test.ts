import assert from 'node:assert/strict';
import fc from 'fast-check';
import { selectionQuery } from '../../src/domain/odata';
import {
  describeFilter,
  isSelectionFilter,
  needsAdvancedQuery,
  parseSelectionFilter,
  type SelectionFilter,
} from '../../src/domain/selectionFilter';
import { findUnsafeCharacter } from '../../src/domain/text';
import { checkFilter, evaluateFilter, parseFilter } from '../../emulator/graph/odata';
import { USER_FILTERS } from '../../emulator/graph/resources';
import { decodeQuery } from '../../emulator/queryString';

function parsed(text: string): SelectionFilter {
  const result = parseSelectionFilter(text);
  assert.ok(result.ok, result.ok ? '' : result.error.detail);
  return result.value;
}

function refusal(text: string): string {
  const result = parseSelectionFilter(text);
  assert.ok(!result.ok, `expected a refusal of ${text}`);
  return result.error.detail;
}

/** What Graph reads from the encoded $filter: decoded once as a query option, then parsed as OData. */
function asGraphReadsIt(filter: SelectionFilter): ReturnType<typeof parseFilter> {
  const { filter: encoded } = selectionQuery(filter);
  const options = decodeQuery(`$filter=${encoded}&$select=id`);
  assert.equal(options.get('$select'), 'id', 'nothing in the filter ended the option early');
  return parseFilter(options.get('$filter') ?? '');
}

describe('the selection filter language', function () {
  it('when a filter joins conditions with and, then the tree holds each condition with the property named as Graph names it', function () {
    assert.deepEqual(parsed("Department eq 'HP' and accountEnabled eq false"), {
      kind: 'and',
      left: { kind: 'compare', property: 'department', op: 'eq', value: 'HP' },
      right: { kind: 'compare', property: 'accountEnabled', op: 'eq', value: false },
    });
  });

  it('when and and or are mixed, then and binds tighter and parentheses override it', function () {
    assert.equal(
      describeFilter(parsed("city eq 'A' or city eq 'B' and country eq 'C'")),
      "city eq 'A' or (city eq 'B' and country eq 'C')",
    );
    const grouped = parsed("(city eq 'A' or city eq 'B') and country eq 'C'");
    assert.equal(grouped.kind, 'and');
    assert.equal(describeFilter(grouped), "(city eq 'A' or city eq 'B') and country eq 'C'");
  });

  it('when startswith and a createdDateTime range are used, then they parse to their own nodes with the date as a UTC instant', function () {
    assert.deepEqual(parsed("startswith(jobTitle,'Contract') and createdDateTime ge 2026-01-01"), {
      kind: 'and',
      left: { kind: 'startswith', property: 'jobTitle', value: 'Contract' },
      right: { kind: 'range', property: 'createdDateTime', op: 'ge', value: '2026-01-01T00:00:00Z' },
    });
  });

  it('when a value holds doubled quotes, %27 and &, then the tree holds exactly the text typed', function () {
    const tree = parsed("department eq 'O''Brien %27 & R&D'");
    assert.deepEqual(tree, { kind: 'compare', property: 'department', op: 'eq', value: "O'Brien %27 & R&D" });
  });

  for (const [text, mentions] of [
    ["manager eq 'x'", 'manager'],
    ["department gt 'x'", 'gt'],
    ['department eq "HP"', 'single quotes'],
    ["not department eq 'x'", 'ne instead'],
    ["department eq 'HP' and", 'ends too early'],
    ["(department eq 'HP'", 'not closed'],
    ["department eq 'HP'; drop", 'no meaning'],
    ['accountEnabled eq yes', 'true or false'],
    ["createdDateTime eq '2026-01-01'", 'ge or le'],
    ['createdDateTime ge 2026-02-30', 'date like'],
    ["startswith(userType,'G')", 'startswith can’t'],
    ["department eq 'HP' department eq 'X'", 'didn’t expect'],
  ] as const) {
    it(`when the filter is ${text}, then the refusal says why (${mentions}) and names what is allowed`, function () {
      const detail = refusal(text);
      assert.ok(detail.includes(mentions), detail);
      assert.ok(detail.includes('Properties: department, jobTitle'), detail);
    });
  }

  it('when a filter nests too deep or has too many conditions, then it is refused without work proportional to its size', function () {
    assert.match(refusal(`${'('.repeat(50)}city eq 'a'${')'.repeat(50)}`), /too deep/);
    assert.match(refusal(Array.from({ length: 30 }, () => "city eq 'a'").join(' or ')), /too many conditions/);
    assert.match(refusal(`city eq '${'a'.repeat(2000)}'`), /too long/);
  });

  it('when the filter uses ne, startswith on an advanced-only property or createdDateTime, then it needs an advanced query; plain eq does not', function () {
    assert.equal(needsAdvancedQuery(parsed("department eq 'HP' and accountEnabled eq false")), false);
    assert.equal(needsAdvancedQuery(parsed("department ne 'HP'")), true);
    assert.equal(needsAdvancedQuery(parsed("companyName eq 'Contoso'")), true);
    assert.equal(needsAdvancedQuery(parsed('createdDateTime le 2026-01-01')), true);
  });

  it('when a stored tree is read back, then only well-formed trees are accepted', function () {
    assert.ok(isSelectionFilter(parsed("department eq 'HP' or startswith(city,'Ber')")));
    assert.equal(isSelectionFilter({ kind: 'compare', property: 'manager', op: 'eq', value: 'x' }), false);
    assert.equal(isSelectionFilter({ kind: 'compare', property: 'accountEnabled', op: 'eq', value: 'false' }), false);
    assert.equal(isSelectionFilter({ kind: 'raw', text: '1 eq 1' }), false);
  });
});

describe('the selection filter on the wire', function () {
  it('when a filter is encoded, then it is percent-encoded and Graph reads back the same conditions', function () {
    const tree = parsed("department eq 'HP' and accountEnabled eq false");
    const { filter, advanced } = selectionQuery(tree);
    assert.equal(filter, 'department%20eq%20%27HP%27%20and%20accountEnabled%20eq%20false');
    assert.equal(advanced, false);
  });

  it('when a value holds hostile text (quotes, %27, &, #, +), then Graph reads exactly that value and nothing else', function () {
    const tree = parsed("department eq 'x'' or department ne ''y %27 & $top=1 # + z'");
    const read = asGraphReadsIt(tree);
    assert.ok(read.ok);
    assert.deepEqual(read.value, { kind: 'compare', op: 'eq', property: 'department', value: "x' or department ne 'y %27 & $top=1 # + z" });
  });

  it('when any text is a value, then the encoded filter selects the users whose value is exactly that text', function () {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), function (wanted, other) {
        fc.pre(findUnsafeCharacter(wanted + other) === undefined);
        const tree: SelectionFilter = {
          kind: 'or',
          left: { kind: 'compare', property: 'department', op: 'eq', value: wanted.normalize('NFC') },
          right: { kind: 'startswith', property: 'city', value: other.normalize('NFC') },
        };
        const read = asGraphReadsIt(tree);
        assert.ok(read.ok, read.ok ? '' : read.message);
        const matches = (department: string, city: string): boolean =>
          evaluateFilter(read.value, (p) => (p === 'department' ? department : p === 'city' ? city : undefined));
        assert.equal(matches(wanted.normalize('NFC'), '\u0001'), true);
        if (other.length > 0) assert.equal(matches(`${wanted}\u0001`, `\u0001${other}`), false);
      }),
    );
  });
});

describe('the selection filter and the emulated Graph agree on advanced queries', function () {
  const texts = [
    "department eq 'HP'",
    "department ne 'HP'",
    "startswith(department,'H')",
    "jobTitle eq 'x'",
    "startswith(jobTitle,'x')",
    "companyName eq 'x'",
    "startswith(companyName,'x')",
    "officeLocation eq 'x'",
    "city eq 'x'",
    "startswith(city,'x')",
    "country eq 'x'",
    "employeeType eq 'x'",
    "userType eq 'Guest'",
    'accountEnabled eq false',
    'accountEnabled ne true',
    'createdDateTime ge 2026-01-01',
    'createdDateTime le 2026-01-01T10:00:00Z',
  ];
  for (const text of texts) {
    it(`when the filter is ${text}, then the bot asks for an advanced query exactly when the emulated Graph requires one`, function () {
      const tree = parsed(text);
      const read = asGraphReadsIt(tree);
      assert.ok(read.ok);
      const check = checkFilter(read.value, USER_FILTERS);
      assert.ok(check.ok, check.ok ? '' : check.message);
      assert.equal(needsAdvancedQuery(tree), check.value.advanced);
    });
  }
});
