import assert from 'node:assert/strict';
import { parseCommand, type Command, type IncomingMention } from '../../src/domain/command';
import { growthFactor, LINEAR_GROWTH_BOUND } from '../helpers/growth';
import { RandomText } from './randomText';

const ADELE: IncomingMention = { teamsId: '29:1adele', name: 'Adele Vance', text: '<at>Adele Vance</at>' };
const BOB: IncomingMention = { teamsId: '29:1bob', name: 'Bob Kelly', text: '<at>Bob Kelly</at>' };
const GUID = '62e90394-69f5-4237-9190-012177145e10';

const adeleMention: Command = { kind: 'revoke', target: { kind: 'mention', teamsId: '29:1adele', name: 'Adele Vance' } };
const upn = (value: string): Command => ({ kind: 'revoke', target: { kind: 'userPrincipalName', upn: value } });
const name = (text: string): Command => ({ kind: 'revoke', target: { kind: 'displayName', text } });
const self: Command = { kind: 'revoke', target: { kind: 'self' } };
const help: Command = { kind: 'help' };
const whoami: Command = { kind: 'whoami' };
const unknown = (word: string): Command => ({ kind: 'help', unrecognised: word });
/** Only the problem code is compared for these; details are covered in targetReference tests. */
const invalid = (code: string): { kind: 'invalid'; code: string } => ({ kind: 'invalid', code });

type Expected = Command | { kind: 'invalid'; code: string };
interface Row {
  readonly text: string;
  readonly mentions?: readonly IncomingMention[];
  readonly expected: Expected;
}

const table: readonly Row[] = [
  // Mentions in Teams' HTML
  { text: 'revoke <at>Adele Vance</at>', mentions: [ADELE], expected: adeleMention },
  { text: '<p>revoke <at>Adele Vance</at></p>', mentions: [ADELE], expected: adeleMention },
  { text: '<div><div>Revoke&nbsp;<at>Adele Vance</at>.</div></div>', mentions: [ADELE], expected: adeleMention },
  { text: 'revoke <at id="0">Adele Vance</at>', mentions: [{ ...ADELE, text: '<at id="0">Adele Vance</at>' }], expected: adeleMention },
  { text: 'revoke\u200B <at>Adele Vance</at>\u200B', mentions: [ADELE], expected: adeleMention },
  { text: 'revoke<at>Adele Vance</at>', mentions: [ADELE], expected: adeleMention },
  { text: 'revoke <AT>Adele Vance</AT >', mentions: [ADELE], expected: adeleMention },
  { text: 'revoke <at>Adele&nbsp;Vance</at>', mentions: [ADELE], expected: adeleMention },
  { text: 'revoke <at>Adele Vance</at>', mentions: [BOB, ADELE], expected: adeleMention },
  { text: 'revoke <at>Adele Vance</at> <at>Bob Kelly</at>', mentions: [ADELE, BOB], expected: invalid('too_many_targets') },
  {
    text: 'revoke <at>Adele Vance</at> and <at>Adele Vance</at>',
    mentions: [ADELE, { ...ADELE, teamsId: '29:1other' }],
    expected: invalid('too_many_targets'),
  },
  { text: 'revoke <at>Adele Vance</at> adele@contoso.com', mentions: [ADELE], expected: invalid('too_many_targets') },
  { text: 'revoke <at>Adele Vance</at> please', mentions: [ADELE], expected: invalid('too_many_targets') },
  // An <at> tag that matches no mention is read as the text it shows; mentions absent from the text are ignored.
  { text: 'revoke <at>Carol Reed</at>', mentions: [ADELE], expected: name('Carol Reed') },
  { text: 'revoke adele@contoso.com', mentions: [BOB], expected: upn('adele@contoso.com') },
  // UPNs, ids, names
  { text: 'revoke adele@contoso.com', expected: upn('adele@contoso.com') },
  { text: 'Revoke Adele@Contoso.com.', expected: upn('Adele@Contoso.com') },
  { text: 'revoke <a href="mailto:adele@contoso.com">adele@contoso.com</a>', expected: upn('adele@contoso.com') },
  { text: 'revoke &lt;adele@contoso.com&gt;', expected: upn('adele@contoso.com') },
  { text: 'revoke gina_fabrikam.com#EXT#@contoso.onmicrosoft.com', expected: upn('gina_fabrikam.com#EXT#@contoso.onmicrosoft.com') },
  { text: 'revoke $svc-backup@contoso.onmicrosoft.com', expected: upn('$svc-backup@contoso.onmicrosoft.com') },
  { text: "revoke o'brien@contoso.com", expected: upn("o'brien@contoso.com") },
  { text: 'revoke o&#39;brien@contoso.com', expected: upn("o'brien@contoso.com") },
  { text: `revoke ${GUID.toUpperCase()}`, expected: { kind: 'revoke', target: { kind: 'objectId', id: GUID } } },
  { text: `revoke {${GUID}}`, expected: invalid('bad_object_id') },
  { text: 'revoke 62e90394-69f5-4237-9190', expected: invalid('bad_object_id') },
  { text: 'revoke Adele Vance', expected: name('Adele Vance') },
  { text: 'revoke “Adele Vance”', expected: name('Adele Vance') },
  { text: 'revoke &ldquo;Adele Vance&rdquo;', expected: name('Adele Vance') },
  { text: 'revoke "Group Therapy"', expected: name('Group Therapy') },
  { text: 'REVOKE   adele\n\n vance', expected: name('adele vance') },
  { text: 'revoke AT&amp;T Support', expected: invalid('bad_characters') },
  { text: 'revoke adele@@contoso.com', expected: invalid('bad_upn') },
  { text: 'revoke adele@contoso.com bob@contoso.com', expected: invalid('too_many_targets') },
  { text: 'revoke', expected: invalid('empty') },
  { text: 'revoke .', expected: invalid('empty') },
  { text: 'revoke @Adele', expected: invalid('bad_upn') },
  // Self
  { text: 'revoke me', expected: self },
  { text: 'REVOKE ME!', expected: self },
  { text: 'revoke myself', expected: self },
  { text: 'revoke my sessions', expected: self },
  { text: '/revoke me', expected: self },
  // Whoami and help
  { text: 'whoami', expected: whoami },
  { text: 'WhoAmI?', expected: whoami },
  { text: 'who am i', expected: whoami },
  { text: 'risky', expected: { kind: 'risky' } },
  { text: 'Risky?', expected: { kind: 'risky' } },
  { text: '<p>Who am I?</p>', expected: whoami },
  { text: 'who are you', expected: unknown('who') },
  { text: 'help', expected: help },
  { text: '/help', expected: help },
  { text: 'Help me please', expected: help },
  { text: '?', expected: help },
  { text: '', expected: help },
  { text: '  \n <p></p>&nbsp;', expected: help },
  { text: 'hello there', expected: unknown('hello') },
  { text: 'revokeadele', expected: unknown('revokeadele') },
  { text: `${'x'.repeat(100)} y`, expected: unknown('x'.repeat(40)) },
  { text: '<at>Adele Vance</at> revoke', mentions: [ADELE], expected: unknown('@Adele Vance') },
  // Bulk forms: a group (by name or id) or a department; never read as a person's name
  {
    text: 'revoke group "Finance Team"',
    expected: { kind: 'revokeBulk', source: { kind: 'group', ref: { kind: 'displayName', name: 'Finance Team' } } },
  },
  {
    text: 'Revoke group “Finance Team”.',
    expected: { kind: 'revokeBulk', source: { kind: 'group', ref: { kind: 'displayName', name: 'Finance Team' } } },
  },
  {
    text: 'revoke group D1E2F3A4-B5C6-4D7E-8F9A-0B1C2D3E4F01',
    expected: { kind: 'revokeBulk', source: { kind: 'group', ref: { kind: 'objectId', id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f01' } } },
  },
  { text: 'revoke department Sales', expected: { kind: 'revokeBulk', source: { kind: 'department', name: 'Sales' } } },
  { text: "revoke dept 'R&D (EMEA)'", expected: { kind: 'revokeBulk', source: { kind: 'department', name: 'R&D (EMEA)' } } },
  { text: 'revoke group', expected: invalid('empty') },
  { text: 'revoke department Fin‮ance', expected: invalid('bad_characters') },
  { text: 'revoke all', expected: unknown('revoke all') },
  { text: 'Revoke Everyone.', expected: unknown('revoke everyone') },
  // Hostile input
  { text: 'revoke Adele\u202EecnaV', expected: invalid('bad_characters') },
  { text: 'revoke Ad\u200Dele', expected: invalid('bad_characters') },
  { text: 'revoke &#x202E;Adele', expected: invalid('bad_characters') },
  { text: 'revoke Adele&#0;', expected: invalid('bad_characters') },
  { text: 'revoke &lt;script&gt;alert(1)&lt;/script&gt;', expected: invalid('bad_characters') },
  { text: "revoke x') or startswith(displayName,'", expected: invalid('bad_characters') },
  { text: 'revoke ../../me', expected: invalid('bad_characters') },
  { text: 'revoke adele@contoso.com/../../admin', expected: invalid('bad_upn') },
  { text: 'revoke adele@contoso.com?$select=*', expected: invalid('bad_upn') },
  // A typed U+FFFF (the parser's internal mention mark) is not mistaken for a mention.
  { text: 'revoke \uFFFFAdele', mentions: [ADELE], expected: invalid('bad_characters') },
  { text: 'revoke <at>Adele Vance', mentions: [ADELE], expected: name('Adele Vance') },
  { text: 'revoke <scr<at>ipt>alert(1)', expected: invalid('bad_characters') },
  { text: '\u202Erevoke me', expected: unknown('\uFFFDrevoke') },
];

function comparable(command: Command): Expected {
  return command.kind === 'invalid' ? { kind: 'invalid', code: command.problem.code } : command;
}

describe('parsing a command', function () {
  it('has a table of at least 40 inputs', function () {
    assert.ok(table.length >= 40);
  });

  for (const row of table) {
    const label = JSON.stringify(row.text.length > 70 ? `${row.text.slice(0, 70)}…` : row.text);
    it(`when the agent sends ${label}, then it is read as ${JSON.stringify(row.expected)}`, function () {
      assert.deepEqual(comparable(parseCommand({ text: row.text, mentions: row.mentions ?? [] })), row.expected);
    });
  }

  it('when a command is invalid, then the problem carries a helpful detail', function () {
    const command = parseCommand({ text: 'revoke adele@@contoso.com', mentions: [] });
    assert.deepEqual(command, {
      kind: 'invalid',
      problem: { code: 'bad_upn', detail: '“adele@@contoso.com” is not a valid sign-in name: it has two @ signs.' },
    });
  });

  it('when the same name is mentioned twice, then each <at> tag takes the next unused mention', function () {
    const second = { ...ADELE, teamsId: '29:1second' };
    const command = parseCommand({ text: 'hi <at>Adele Vance</at> revoke <at>Adele Vance</at>', mentions: [ADELE, second] });
    assert.deepEqual(command, unknown('hi'));
    // With the verb first, both tags are consumed in order and two targets are reported.
    const both = parseCommand({ text: 'revoke <at>Adele Vance</at> <at>Adele Vance</at>', mentions: [ADELE, second] });
    assert.equal(both.kind === 'invalid' && both.problem.code, 'too_many_targets');
  });

  it('when given values that are not strings (from untyped callers), then it answers help instead of throwing', function () {
    const weird = [undefined, null, 42, {}, { text: 7, mentions: 'x' }, { text: 'revoke <at>A</at>', mentions: [null, 3, { teamsId: 1 }] }];
    for (const input of weird) {
      const command = parseCommand(input as never);
      assert.ok(command.kind === 'help' || command.kind === 'revoke' || command.kind === 'invalid');
    }
  });

  it('never throws for 300 random strings of hostile unicode and HTML fragments', function () {
    const random = new RandomText(7);
    for (let i = 0; i < 300; i += 1) {
      const text = i % 2 === 0 ? random.string(2000) : random.markup(400);
      const mentions = i % 3 === 0 ? [ADELE, { teamsId: '29:1x', name: random.string(20), text: `<at>${random.string(20)}</at>` }] : [];
      const command = parseCommand({ text, mentions });
      assert.ok(['revoke', 'whoami', 'help', 'invalid'].includes(command.kind), `case ${i}`);
      if (command.kind === 'help' && command.unrecognised !== undefined) {
        assert.ok(Array.from(command.unrecognised).length <= 41, `case ${i}: unrecognised is at most 40 characters and an ellipsis`);
        assert.doesNotMatch(command.unrecognised, /[\p{Cc}\p{Cf}\p{Cs}]/u, `case ${i}: nothing invisible is echoed`);
      }
    }
  });

  describe('on inputs up to 100 kB built to trip quadratic or backtracking parsers', function () {
    const size = 100_000;
    const hostile: Record<string, (size: number) => string> = {
      'random unicode': (n) => new RandomText(99).string(n),
      'random markup': (n) => new RandomText(100).markup(n / 6),
      "only '<'": (n) => '<'.repeat(n),
      "only '&'": (n) => '&'.repeat(n),
      'unclosed <at> tags': (n) => '<at>'.repeat(n / 4),
      'unopened </at tags': (n) => '</at'.repeat(n / 4),
      'unclosed <p tags': (n) => '<p '.repeat(n / 3),
      'a long first word of dots': (n) => `${'.'.repeat(n)}x`,
      'a long target of dots': (n) => `revoke ${'.'.repeat(n)}x`,
      'a long target of closing brackets': (n) => `revoke ${')'.repeat(n)}a@b.co x`,
      'spaces then a word': (n) => `${' '.repeat(n)}revoke me`,
      'entities without semicolons': (n) => '&#1234567'.repeat(n / 9),
      'nested tags': (n) => '<b><i><u>'.repeat(n / 9),
      'long tag attributes': (n) => `<p ${'x'.repeat(n)}>`,
      'entities, mentions and dots': (n) => `revoke ${'&<at>.'.repeat(n / 5)}`,
    };
    for (const [label, build] of Object.entries(hostile)) {
      it(`when the text is ${label}, then it answers without throwing, and 16 times the text takes about 16 times as long, not 256`, function () {
        const command = parseCommand({ text: build(size), mentions: [ADELE, BOB] });
        assert.ok(['revoke', 'whoami', 'help', 'invalid'].includes(command.kind));
        const growth = growthFactor(build, (text) => parseCommand({ text, mentions: [ADELE, BOB] }), size / 16);
        assert.ok(growth < LINEAR_GROWTH_BOUND, `16 times the input took ${growth.toFixed(1)} times as long`);
      });
    }
  });
});

describe('the audit command', function () {
  const audit = (query: Extract<Command, { kind: 'audit' }>['query']): Command => ({ kind: 'audit', query });
  const rows: readonly Row[] = [
    { text: 'audit', expected: audit({ mode: 'list', limit: 10 }) },
    { text: '<p>Audit.</p>', expected: audit({ mode: 'list', limit: 10 }) },
    { text: '/audit 25', expected: audit({ mode: 'list', limit: 25 }) },
    { text: 'audit 5000', expected: audit({ mode: 'list', limit: 50, clamped: true }) },
    {
      text: 'audit for adele@contoso.com',
      expected: audit({
        mode: 'list',
        limit: 10,
        subject: { role: 'target', who: { kind: 'userPrincipalName', upn: 'adele@contoso.com' } },
      }),
    },
    {
      text: 'audit 3 by uma@contoso.com',
      expected: audit({ mode: 'list', limit: 3, subject: { role: 'actor', who: { kind: 'userPrincipalName', upn: 'uma@contoso.com' } } }),
    },
    {
      text: `audit by ${GUID}`,
      expected: audit({ mode: 'list', limit: 10, subject: { role: 'actor', who: { kind: 'objectId', id: GUID } } }),
    },
    {
      text: 'audit for <at>Adele Vance</at>',
      mentions: [ADELE],
      expected: audit({
        mode: 'list',
        limit: 10,
        subject: { role: 'target', who: { kind: 'mention', teamsId: '29:1adele', name: 'Adele Vance' } },
      }),
    },
    { text: 'audit by me', expected: audit({ mode: 'list', limit: 10, subject: { role: 'actor', who: { kind: 'self' } } }) },
    { text: 'audit export', expected: audit({ mode: 'export', format: 'csv', limit: 50 }) },
    { text: 'AUDIT EXPORT JSONL', expected: audit({ mode: 'export', format: 'jsonl', limit: 50 }) },
    {
      text: 'audit export json 20 for adele@contoso.com',
      expected: audit({
        mode: 'export',
        format: 'jsonl',
        limit: 20,
        subject: { role: 'target', who: { kind: 'userPrincipalName', upn: 'adele@contoso.com' } },
      }),
    },
    { text: 'audit export csv', expected: audit({ mode: 'export', format: 'csv', limit: 50 }) },
    { text: 'audit everything', expected: unknown('audit everything') },
    { text: 'audit 0', expected: unknown('audit 0') },
    { text: 'audit export pdf', expected: unknown('audit pdf') },
    { text: 'audit for', expected: invalid('empty') },
    { text: 'audit for <at>Adele Vance</at> <at>Bob Kelly</at>', mentions: [ADELE, BOB], expected: invalid('too_many_targets') },
    { text: 'audit <at>Adele Vance</at>', mentions: [ADELE], expected: unknown('audit @…') },
  ];
  for (const row of rows) {
    it(`reads ${JSON.stringify(row.text)} as ${JSON.stringify(row.expected)}`, function () {
      const command = parseCommand({ text: row.text, mentions: row.mentions ?? [] });
      if (row.expected.kind === 'invalid' && 'code' in row.expected) {
        assert.equal(command.kind, 'invalid');
        assert.equal(command.kind === 'invalid' && command.problem.code, row.expected.code);
      } else assert.deepEqual(command, row.expected);
    });
  }

  it('never throws and always answers a command for random text after "audit"', function () {
    const random = new RandomText(5);
    for (let i = 0; i < 500; i += 1) {
      const text = Array.from({ length: random.int(0, 60) }, () => random.character()).join('');
      const command = parseCommand({ text: `audit ${text}`, mentions: [] });
      assert.ok(['audit', 'help', 'invalid'].includes(command.kind));
    }
  });
});
