import assert from 'node:assert/strict';
import {
  MAX_TARGET_LENGTH,
  isObjectId,
  isValidUserPrincipalName,
  parseTarget,
  userPrincipalNameFault,
  type TargetInputProblem,
  type TargetReference,
} from '../../src/domain/targetReference';
import { RandomText } from './randomText';

function accepted(text: string, mentions: { teamsId: string; name: string }[] = []): TargetReference {
  const result = parseTarget(text, mentions);
  assert.ok(result.ok, `expected “${text}” to be accepted, got ${JSON.stringify(result)}`);
  return result.value;
}

function refused(text: string, mentions: { teamsId: string; name: string }[] = []): TargetInputProblem {
  const result = parseTarget(text, mentions);
  assert.ok(!result.ok, `expected “${text}” to be refused, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('user principal name rules', function () {
  const valid = [
    'adele@contoso.com',
    'Adele.Vance@contoso.onmicrosoft.com',
    "o'brien@contoso.com",
    'a!b#c^d~e_f-g.h@contoso.com',
    '$svc-backup@contoso.onmicrosoft.com',
    'gina_fabrikam.com#EXT#@contoso.onmicrosoft.com',
    'x@a-b.co',
    'ADELE@CONTOSO.COM',
    `${'a'.repeat(64)}@contoso.com`,
    `${'a'.repeat(64)}@${'b'.repeat(44)}.com`, // 64 + 1 + 48 = 113, every limit exactly met
    '1@2.3',
  ];
  for (const upn of valid) {
    it(`accepts ${upn.length > 40 ? `${upn.slice(0, 30)}… (${upn.length} characters)` : upn}`, function () {
      assert.equal(isValidUserPrincipalName(upn), true, userPrincipalNameFault(upn));
    });
  }

  const invalid: [string, RegExp][] = [
    ['adele@@contoso.com', /two @ signs/],
    ['adele', /no @ sign/],
    ['a@b@c.com', /two @ signs/],
    ['@contoso.com', /nothing comes before the @/],
    ['$@contoso.com', /nothing comes before the @/],
    ['adele@', /nothing comes after the @/],
    ['adele@contoso', /domain such as contoso.com/],
    ['.adele@contoso.com', /starts with a dot/],
    ['adele.@contoso.com', /dot right before the @/],
    ['ad..ele@contoso.com', /two dots in a row/],
    ['a$dele@contoso.com', /contains “\$”/],
    ['$$adele@contoso.com', /contains “\$”/],
    ['adele vance@contoso.com', /contains a space/],
    ['adele+tag@contoso.com', /contains “\+”/],
    ['adéle@contoso.com', /contains “é”/],
    ['adele"@contoso.com', /contains “"”/],
    ['adele@contoso..com', /empty part/],
    ['adele@.contoso.com', /empty part/],
    ['adele@-contoso.com', /starts or ends with a hyphen/],
    ['adele@contoso-.com', /starts or ends with a hyphen/],
    ['adele@con_toso.com', /only contain letters/],
    ['adele@contoso.com/x', /only contain letters/],
    ['adele@contoso.com?x=1', /only contain letters/],
    ['adele@bücher.de', /only contain letters/],
    [`${'a'.repeat(65)}@contoso.com`, /before the @ is 65 characters/],
    [`a@${'b'.repeat(45)}.com`, /domain after the @ is 49 characters/],
    [`${'a'.repeat(64)}@${'b'.repeat(46)}.com`, /115 characters long/],
    ['', /no @ sign/],
  ];
  for (const [upn, reason] of invalid) {
    it(`refuses ${JSON.stringify(upn.length > 40 ? `${upn.slice(0, 30)}…` : upn)} saying ${reason.source}`, function () {
      assert.equal(isValidUserPrincipalName(upn), false);
      assert.match(userPrincipalNameFault(upn) ?? '', reason);
    });
  }
});

describe('object ids', function () {
  it('accepts a GUID in any case and refuses one with braces or the wrong shape', function () {
    assert.equal(isObjectId('62e90394-69f5-4237-9190-012177145e10'), true);
    assert.equal(isObjectId('62E90394-69F5-4237-9190-012177145E10'), true);
    assert.equal(isObjectId('{62e90394-69f5-4237-9190-012177145e10}'), false);
    assert.equal(isObjectId('62e9039469f542379190012177145e10'), false);
    assert.equal(isObjectId('62e90394-69f5-4237-9190-012177145e1g'), false);
  });
});

describe('parsing a target', function () {
  it('when a GUID is typed in upper case, then it becomes a lower-case object id', function () {
    assert.deepEqual(accepted('62E90394-69F5-4237-9190-012177145E10'), { kind: 'objectId', id: '62e90394-69f5-4237-9190-012177145e10' });
  });

  it('when a GUID is wrapped in braces, then it is refused and the bare id is suggested', function () {
    const problem = refused('{62e90394-69f5-4237-9190-012177145e10}');
    assert.equal(problem.code, 'bad_object_id');
    assert.match(problem.detail, /without them: 62e90394-69f5-4237-9190-012177145e10/);
  });

  it('when a GUID is one digit short, then it is a bad object id, not a name search', function () {
    const problem = refused('62e90394-69f5-4237-9190-012177145e1');
    assert.equal(problem.code, 'bad_object_id');
    assert.match(problem.detail, /8-4-4-4-12/);
  });

  it('when a name happens to use only hex letters, then it is still a name', function () {
    assert.deepEqual(accepted('Abe'), { kind: 'displayName', text: 'Abe' });
    assert.deepEqual(accepted('Dee Cafe'), { kind: 'displayName', text: 'Dee Cafe' });
  });

  it('when a UPN is typed, then it is kept as typed', function () {
    assert.deepEqual(accepted('Adele.Vance@contoso.com'), { kind: 'userPrincipalName', upn: 'Adele.Vance@contoso.com' });
  });

  it('when a mailto: link text is typed, then the prefix is dropped', function () {
    assert.deepEqual(accepted('mailto:adele@contoso.com'), { kind: 'userPrincipalName', upn: 'adele@contoso.com' });
  });

  it('when the UPN has two @ signs, then the agent is told so in plain words', function () {
    const problem = refused('adele@@contoso.com');
    assert.deepEqual(problem, { code: 'bad_upn', detail: '“adele@@contoso.com” is not a valid sign-in name: it has two @ signs.' });
  });

  it('when the text is an @name Teams did not turn into a mention, then the agent is told to pick from the list', function () {
    const problem = refused('@Adele');
    assert.equal(problem.code, 'bad_upn');
    assert.match(problem.detail, /did not turn into one/);
  });

  it('when the text is whitespace, then it is empty', function () {
    assert.equal(refused(' \n\t\u00A0 ').code, 'empty');
    assert.equal(refused('').code, 'empty');
  });

  it('when the text is only quotes and a full stop, then it is empty', function () {
    assert.equal(refused('“”.').code, 'empty');
  });

  it('when the whitespace is messy, then it is collapsed and trimmed', function () {
    assert.deepEqual(accepted('  Adele \n\u00A0  Vance  '), { kind: 'displayName', text: 'Adele Vance' });
  });

  it('when the name is in smart quotes with a full stop, then both are peeled off', function () {
    assert.deepEqual(accepted('“Adele Vance”.'), { kind: 'displayName', text: 'Adele Vance' });
    assert.deepEqual(accepted("'O'Brien'"), { kind: 'displayName', text: "O'Brien" });
    assert.deepEqual(accepted('«Zoë»'), { kind: 'displayName', text: 'Zoë' });
  });

  it('when a name is typed in decomposed form, then it is NFC-normalised', function () {
    const decomposed = 'Zoe\u0308 Adams';
    assert.deepEqual(accepted(decomposed), { kind: 'displayName', text: 'Zo\u00EB Adams' });
  });

  it('when names use other scripts, commas, apostrophes and hyphens, then they are accepted', function () {
    for (const name of ['Vance, Adele', 'Jean-Luc Picard', 'O’Neil', '山田 太郎', 'محمد علي', 'अनिल कुमार', 'Room 42']) {
      assert.deepEqual(accepted(name), { kind: 'displayName', text: name });
    }
  });

  for (const bad of [
    'Adele/Vance',
    'Ad?ele',
    'a#b',
    "x') or true",
    'Adele (IT)',
    'A&B',
    'a;b',
    'a*',
    'a"b',
    'a\\b',
    'a<b',
    '$filter',
    'a%27b',
    'a=b',
    'a+b',
  ]) {
    it(`when a name contains a metacharacter (${JSON.stringify(bad)}), then it is refused naming the character`, function () {
      const problem = refused(bad);
      assert.equal(problem.code, 'bad_characters');
      assert.match(problem.detail, /it contains “.”/u);
    });
  }

  for (const [label, character] of [
    ['a right-to-left override', '\u202E'],
    ['a left-to-right embedding', '\u202A'],
    ['a first-strong isolate', '\u2068'],
    ['a pop directional isolate', '\u2069'],
    ['a zero-width space', '\u200B'],
    ['a zero-width joiner', '\u200D'],
    ['a byte-order mark', '\uFEFF'],
    ['a soft hyphen', '\u00AD'],
    ['a NUL', '\u0000'],
    ['an escape', '\u001B'],
    ['a delete', '\u007F'],
    ['an unpaired surrogate', '\uD800'],
    ['a private-use character', '\uE000'],
  ] as const) {
    it(`when the text hides ${label}, then it is refused with the code point named and not echoed`, function () {
      const problem = refused(`Adele${character}Vance`);
      assert.equal(problem.code, 'bad_characters');
      const code = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
      assert.ok(problem.detail.includes(code), problem.detail);
      assert.ok(!problem.detail.includes(character), 'the invisible character must not be echoed back');
    });
  }

  it('when the text says me, myself or my sessions, then the target is the requester', function () {
    for (const text of ['me', 'ME', 'myself', 'my sessions', 'My  Sessions.', '“me”']) {
      assert.deepEqual(accepted(text), { kind: 'self' }, text);
    }
  });

  it('when exactly one mention and nothing else is given, then the target is that mention', function () {
    assert.deepEqual(accepted(' . ', [{ teamsId: '29:1abc', name: ' Adele  Vance ' }]), {
      kind: 'mention',
      teamsId: '29:1abc',
      name: 'Adele Vance',
    });
  });

  it('when two mentions are given, then there are too many targets', function () {
    const problem = refused('', [
      { teamsId: '29:1a', name: 'Adele' },
      { teamsId: '29:1b', name: 'Bob' },
    ]);
    assert.equal(problem.code, 'too_many_targets');
    assert.match(problem.detail, /2 people \(Adele, Bob\)/);
  });

  it('when a mention comes with more text, then there are too many targets', function () {
    const problem = refused('bob@contoso.com', [{ teamsId: '29:1a', name: 'Adele' }]);
    assert.equal(problem.code, 'too_many_targets');
    assert.match(problem.detail, /mentioned Adele and also typed “bob@contoso.com”/);
  });

  it('when a mention has an unreadable id, then it is refused', function () {
    assert.equal(refused('', [{ teamsId: '', name: 'Adele' }]).code, 'bad_characters');
    assert.equal(refused('', [{ teamsId: '29:1 a\n', name: 'Adele' }]).code, 'bad_characters');
  });

  it('when two UPNs or ids are typed, then there are too many targets', function () {
    for (const text of [
      'adele@contoso.com bob@contoso.com',
      'adele@contoso.com,bob@contoso.com',
      'adele@contoso.com; 62e90394-69f5-4237-9190-012177145e10',
    ]) {
      assert.equal(refused(text).code, 'too_many_targets', text);
    }
  });

  it('when a UPN has words around it, then the agent is asked for just the UPN', function () {
    const problem = refused('Adele Vance (adele@contoso.com)');
    assert.equal(problem.code, 'bad_upn');
    assert.match(problem.detail, /e\.g\. revoke adele@contoso\.com\./);
  });

  it('when the text is longer than 256 characters, then it is too long', function () {
    assert.equal(accepted('a'.repeat(MAX_TARGET_LENGTH)).kind, 'displayName');
    const problem = refused('a'.repeat(MAX_TARGET_LENGTH + 1));
    assert.equal(problem.code, 'too_long');
    assert.match(problem.detail, /257 characters/);
    assert.equal(refused('x'.repeat(100_000)).code, 'too_long');
  });

  it('when the text has no letters, then there is nothing to search for', function () {
    assert.equal(refused("- ' -").code, 'bad_characters');
  });

  it('never throws, and every accepted reference satisfies its own rules (2,000 random strings)', function () {
    const random = new RandomText(20240611);
    for (let i = 0; i < 2000; i += 1) {
      const text = random.string(i % 10 === 0 ? 300 : 40);
      const result = parseTarget(text, []);
      if (!result.ok) {
        assert.ok(result.error.detail.length > 0);
        continue;
      }
      const ref = result.value;
      switch (ref.kind) {
        case 'userPrincipalName':
          assert.ok(isValidUserPrincipalName(ref.upn), `case ${i}: ${JSON.stringify(text)}`);
          break;
        case 'objectId':
          assert.ok(isObjectId(ref.id) && ref.id === ref.id.toLowerCase(), `case ${i}`);
          break;
        case 'displayName':
          assert.match(ref.text, /^[\p{L}\p{M}\p{Nd} .'’\-,]{1,256}$/u, `case ${i}: ${JSON.stringify(text)}`);
          assert.equal(ref.text, ref.text.trim());
          break;
        default:
          break;
      }
    }
  });
});
