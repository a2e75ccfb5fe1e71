import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
// The Adaptive Cards JS renderer's own DATE()/TIME() pass (a dependency of botframework-schema).
import { formatText } from 'adaptivecards/lib/text-formatters';
import { ACTION_DATA_KEYS } from '../../src/cards/actionRules';
import {
  asAttachment,
  CARD_TEMPLATE_FILES,
  CardRenderer,
  CardTemplateError,
  DEFAULT_CARDS_DIR,
  type AdaptiveCard,
} from '../../src/cards/render';
import { cardDateTime, markdownIdentifier, markdownText, plainText } from '../../src/cards/text';
import { ALL_VERBS, VERB, type Verb } from '../../src/cards/verbs';
import { CARD_CASES, HOSTILE, HOSTILE_TEMPLATE_TEXT, IDS, TARGETS } from '../helpers/cardFixtures';

const GOLDEN_DIR = path.join(__dirname, '..', 'golden', 'cards');
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/** CommonMark as the Adaptive Cards JS renderer's documented markdown hook runs it, plus auto-linking (stricter than Teams needs). */
const markdown = new MarkdownIt({ html: false, linkify: true });

/** What a TextBlock shows: DATE/TIME functions first (as the renderers do), then markdown. */
function renderLikeAHost(text: string): string {
  return markdown.render(formatText('en-US', text));
}

/** The HTML of a paragraph that shows `text` literally. */
function literalParagraph(text: string): string {
  return `<p>${markdown.utils.escapeHtml(text)}</p>\n`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object in `node` (depth first), with its JSON path. */
function objectsIn(node: unknown, at = '$'): { at: string; object: Record<string, unknown> }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => objectsIn(item, `${at}[${i}]`));
  if (!isRecord(node)) return [];
  return [{ at, object: node }, ...Object.entries(node).flatMap(([key, value]) => objectsIn(value, `${at}.${key}`))];
}

/** Every string value in `node` with its path, skipping subtrees whose key is in `skipKeys`. */
function stringsIn(node: unknown, skipKeys: readonly string[] = [], at = '$'): { at: string; value: string }[] {
  if (typeof node === 'string') return [{ at, value: node }];
  if (Array.isArray(node)) return node.flatMap((item, i) => stringsIn(item, skipKeys, `${at}[${i}]`));
  if (!isRecord(node)) return [];
  return Object.entries(node)
    .filter(([key]) => !skipKeys.includes(key))
    .flatMap(([key, value]) => stringsIn(value, skipKeys, `${at}.${key}`));
}

/** Texts a host renders as markdown: TextBlock.text, Fact.title, Fact.value. */
function markdownSinks(card: AdaptiveCard): { at: string; text: string }[] {
  return objectsIn(card).flatMap(({ at, object }) => {
    if (object.type === 'TextBlock' && typeof object.text === 'string') return [{ at: `${at}.text`, text: object.text }];
    if (object.type === undefined && typeof object.title === 'string' && typeof object.value === 'string') {
      return [
        { at: `${at}.title`, text: object.title },
        { at: `${at}.value`, text: object.value },
      ];
    }
    return [];
  });
}

function executeActions(card: AdaptiveCard): { at: string; action: Record<string, unknown> }[] {
  return objectsIn(card)
    .filter(({ object }) => object.type === 'Action.Execute')
    .map(({ at, object }) => ({ at, action: object }));
}

function textBlocks(card: AdaptiveCard): string[] {
  return objectsIn(card).flatMap(({ object }) => (object.type === 'TextBlock' && typeof object.text === 'string' ? [object.text] : []));
}

function fact(card: AdaptiveCard, title: string): string | undefined {
  const found = objectsIn(card).find(
    ({ object }) => object.type === undefined && object.title === title && typeof object.value === 'string',
  );
  return found === undefined ? undefined : String(found.object.value);
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (match === null) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/;
const SECRET_KEY = /secret|password|passwd|token|assertion|authorization|cookie|credential/i;
const SECRET_ASSIGNMENT = /(secret|password|passwd|pwd|token)\s*[:=]/i;
const BEARER = /\bbearer\s+\S/i;

function goldenFile(card: string, fixture: string): string {
  return path.join(GOLDEN_DIR, `${card}.${fixture}.json`);
}

describe('Adaptive Cards', function () {
  let renderer: CardRenderer;

  before(function () {
    renderer = CardRenderer.load();
    if (UPDATE_GOLDEN) mkdirSync(GOLDEN_DIR, { recursive: true });
  });

  describe('golden cards', function () {
    for (const testCase of CARD_CASES) {
      describe(`the ${testCase.card} card for the ${testCase.fixture} fixture`, function () {
        let card: AdaptiveCard;

        before(function () {
          card = testCase.render(renderer);
        });

        it('matches its golden file exactly', function () {
          const file = goldenFile(testCase.card, testCase.fixture);
          const actual = `${JSON.stringify(card, null, 2)}\n`;
          if (UPDATE_GOLDEN) writeFileSync(file, actual);
          let golden: string;
          try {
            golden = readFileSync(file, 'utf8');
          } catch {
            assert.fail(`No golden file ${path.relative(process.cwd(), file)}; run with UPDATE_GOLDEN=1 and review it`);
          }
          assert.equal(actual, golden);
        });

        it('leaves no template expression unexpanded', function () {
          for (const { at, value } of stringsIn(card)) {
            const withoutHostileData = HOSTILE_TEMPLATE_TEXT.reduce((text, hostile) => text.split(hostile).join(''), value);
            assert.ok(!withoutHostileData.includes('${'), `${at} still holds a template expression: ${value}`);
          }
        });

        it('declares Adaptive Card schema 1.5 or later', function () {
          assert.equal(card.type, 'AdaptiveCard');
          assert.ok(versionAtLeast(card.version, 1, 5), `version ${card.version}`);
        });

        it('gives every Action.Execute a known verb and data holding only opaque ids', function () {
          for (const { at, action } of executeActions(card)) {
            assert.ok(ALL_VERBS.includes(action.verb as Verb), `${at}: unknown verb ${String(action.verb)}`);
            const verb = action.verb as Verb;
            assert.ok(isRecord(action.data), `${at}: data must be an object`);
            const data = action.data;
            assert.deepEqual(Object.keys(data).sort(), [...ACTION_DATA_KEYS[verb]].sort(), `${at}: data keys`);
            // Pick lists (the `risky` inbox's too) carry the list's id and the index chosen.
            const fromPickList = verb === VERB.pick || verb === VERB.riskyEscalate;
            const expectedSubjectId = fromPickList ? IDS.pickId : IDS.requestId;
            assert.equal(data.subjectId, expectedSubjectId, `${at}: subjectId`);
            if (fromPickList) assert.ok(Number.isInteger(data.choice) && Number(data.choice) >= 0, `${at}: choice must be an index`);
          }
        });

        it('shows request ids only inside action data', function () {
          for (const { at, value } of stringsIn(card, ['data'])) {
            assert.ok(!value.includes(IDS.requestId) && !value.includes(IDS.pickId), `${at} shows an opaque request id: ${value}`);
          }
        });

        it('carries nothing that looks like a token, secret or password', function () {
          for (const { at, object } of objectsIn(card)) {
            for (const key of Object.keys(object)) assert.ok(!SECRET_KEY.test(key), `${at} has a secret-like key "${key}"`);
          }
          for (const { at, value } of stringsIn(card)) {
            assert.ok(!JWT_SHAPE.test(value), `${at} holds a JWT-shaped string`);
            assert.ok(!SECRET_ASSIGNMENT.test(value) && !BEARER.test(value), `${at} holds a secret-like value: ${value}`);
          }
        });

        it('renders every markdown text without links, images, code or emphasis it did not ask for', function () {
          for (const { at, text } of markdownSinks(card)) {
            const html = renderLikeAHost(text);
            const unexpectedTag = /<(?!\/?(p|strong|ul|li|a)>|a href="mailto:)[a-z/][^>]*>/i.exec(html);
            assert.equal(unexpectedTag, null, `${at} renders ${unexpectedTag?.[0] ?? ''}: ${html}`);
          }
        });
      });
    }

    it('has a golden file for every case and none left over', function () {
      const expected = CARD_CASES.map((c) => path.basename(goldenFile(c.card, c.fixture))).sort();
      assert.equal(new Set(expected).size, expected.length, 'two cases share a golden file name');
      assert.deepEqual(readdirSync(GOLDEN_DIR).sort(), expected);
    });

    it('covers every card the renderer makes', function () {
      assert.deepEqual([...new Set(CARD_CASES.map((c) => c.card))].sort(), Object.keys(CARD_TEMPLATE_FILES).sort());
    });
  });

  describe('text from the directory or the chat', function () {
    const hostileStrings = [
      ...Object.values(HOSTILE),
      'a_b _c_ d_',
      'x\\',
      'R&D &copy; &#169;',
      '3. Item',
      '+ plus',
      '> quote',
      'http://evil.example/x',
    ];

    for (const value of hostileStrings) {
      it(`shows ${JSON.stringify(value)} literally in a TextBlock`, function () {
        assert.equal(renderLikeAHost(markdownText(value)), literalParagraph(value));
      });
    }

    it('leaves ordinary names, departments and UPNs free of backslashes', function () {
      for (const value of ['Adele Vance', "Anne-Marie O'Neil", 'Zoë Çelik-Ünal', 'R&D', 'Sales, EMEA (North)', 'snake_case_team']) {
        assert.equal(markdownText(value), value);
      }
      for (const upn of ['adele_vance@contoso.com', 'alex_fabrikam.com#EXT#@contoso.onmicrosoft.com', 'adele.vance@contoso.com']) {
        assert.equal(markdownIdentifier(upn), upn);
      }
    });

    it('turns line breaks into spaces and drops bidi overrides, so a name cannot start a list or read backwards', function () {
      const hostile = 'Adele\n- Vance\r\n1. x\u202Egnp.exe';
      assert.equal(plainText(hostile), 'Adele - Vance 1. xgnp.exe');
      assert.equal(renderLikeAHost(markdownText(hostile)), literalParagraph('Adele - Vance 1. xgnp.exe'));
    });

    it('does not evaluate template syntax in a display name, and shows it as written', function () {
      const card = renderer.lookup({
        requestId: IDS.requestId,
        target: TARGETS.hostile,
        requesterName: HOSTILE.requester,
        expiresAt: '2024-07-01T10:15:00Z',
      });
      const nameBlock = objectsIn(card).find(({ object }) => object.type === 'TextBlock' && object.size === 'Large');
      assert.ok(nameBlock !== undefined);
      assert.equal(renderLikeAHost(String(nameBlock.object.text)), literalParagraph(HOSTILE.name));
      assert.equal(renderLikeAHost(fact(card, 'Job title') ?? ''), literalParagraph(HOSTILE.jobTitle));
      assert.equal(renderLikeAHost(fact(card, 'Department') ?? ''), literalParagraph(HOSTILE.department));
      assert.equal(renderLikeAHost(fact(card, 'Admin roles') ?? ''), literalParagraph(HOSTILE.role));
      const requested = textBlocks(card).find((text) => text.startsWith('Requested by '));
      assert.equal(renderLikeAHost(requested ?? ''), literalParagraph(`Requested by ${HOSTILE.requester}`));
      const who = textBlocks(card).find((text) => text.startsWith('**Who can revoke:**'));
      assert.equal(
        renderLikeAHost(who ?? ''),
        `<p><strong>Who can revoke:</strong> ${markdown.utils.escapeHtml(`Limited admin — needs ${HOSTILE.role} or Global Administrator`)}</p>\n`,
      );
    });

    it('puts a hostile name into a button title as plain text, unevaluated', function () {
      const card = renderer.pickList({
        pickId: IDS.pickId,
        query: HOSTILE.query,
        candidates: [{ displayName: '${evil} **x**', userPrincipalName: 'm@contoso.com' }],
        truncated: false,
      });
      assert.deepEqual(
        executeActions(card).map(({ action }) => action.title),
        ['${evil} **x** (m@contoso.com)'],
      );
      assert.equal(renderLikeAHost(textBlocks(card)[0] ?? ''), literalParagraph(`Several people match “${HOSTILE.query}”`));
    });
  });

  describe('times', function () {
    it('writes times the way DATE() and TIME() accept them: whole seconds, UTC, no fraction', function () {
      assert.equal(cardDateTime('2024-06-12T17:05:09.517Z'), '2024-06-12T17:05:09Z');
      assert.equal(cardDateTime('2024-01-15T09:00:00+01:00'), '2024-01-15T08:00:00Z');
      assert.equal(cardDateTime('not a date'), undefined);
      assert.equal(cardDateTime(undefined), undefined);
    });

    it('produces DATE()/TIME() calls a renderer formats (a fractional-seconds time would be shown raw)', function () {
      assert.ok(formatText('en-US', '{{TIME(2024-06-12T17:05:09.517Z)}}').includes('{{TIME('), 'renderers reject fractions');
      const card = renderer.lookup({
        requestId: IDS.requestId,
        target: TARGETS.privileged,
        requesterName: 'Helen',
        expiresAt: '2024-07-01T10:15:00.000Z',
      });
      const since = fact(card, 'Sessions valid since') ?? '';
      assert.equal(since, '{{DATE(2024-06-12T17:05:09Z, SHORT)}} {{TIME(2024-06-12T17:05:09Z)}}');
      for (const text of [since, ...textBlocks(card)]) assert.ok(!formatText('en-US', text).includes('{{'), `left raw: ${text}`);
    });

    it('says there is no revocation on record when the directory has no valid-from time', function () {
      const card = renderer.lookup({
        requestId: IDS.requestId,
        target: TARGETS.guest,
        requesterName: 'Helen',
        expiresAt: '2024-07-01T10:15:00Z',
      });
      assert.equal(fact(card, 'Sessions valid since'), 'No revocation on record');
    });
  });

  describe('what each card says', function () {
    function lookup(target: (typeof TARGETS)[keyof typeof TARGETS]): AdaptiveCard {
      return renderer.lookup({ requestId: IDS.requestId, target, requesterName: 'Helen Helpdesk', expiresAt: '2024-07-01T10:15:00Z' });
    }
    const allText = (card: AdaptiveCard): string => textBlocks(card).join('\n');

    it('when the target is a guest, then the lookup card says revoking here does not reach their home organisation', function () {
      assert.match(allText(lookup(TARGETS.guest)), /does not end their sessions in their home organisation.*block their sign-in/s);
      assert.doesNotMatch(allText(lookup(TARGETS.member)), /home organisation/);
    });

    it('when the requester looks themself up, then the lookup card warns it signs them out of this Teams client too', function () {
      const card = lookup(TARGETS.self);
      assert.match(allText(card), /Revoke your own sign-in sessions\?/);
      assert.match(allText(card), /signed out everywhere, possibly including this Teams client/);
      assert.doesNotMatch(allText(lookup(TARGETS.member)), /This is you/);
    });

    it('names the tier and the roles that may revoke the target', function () {
      assert.match(
        allText(lookup(TARGETS.privileged)),
        /Privileged admin — needs Privileged Authentication Administrator or Global Administrator/,
      );
      assert.match(
        allText(lookup(TARGETS.member)),
        /Not an admin — needs Helpdesk Administrator, Authentication Administrator, User Administrator, Privileged Authentication Administrator or Global Administrator/,
      );
      assert.equal(fact(lookup(TARGETS.member), 'Admin roles'), 'No admin roles');
      assert.equal(fact(lookup(TARGETS.privileged), 'Admin roles'), 'Global Administrator, Security Administrator');
    });

    it('shows account state, user type, the access-token caveat and the expiry time', function () {
      const card = lookup(TARGETS.disabled);
      assert.equal(fact(card, 'Account'), 'Disabled');
      assert.equal(fact(card, 'User type'), 'Member');
      assert.equal(fact(lookup(TARGETS.guest), 'User type'), 'Guest');
      assert.match(allText(card), /The account is disabled/);
      assert.match(
        allText(card),
        /Access tokens already issued stay valid until they expire \(up to about an hour\), unless the app supports Continuous Access Evaluation/,
      );
      assert.match(allText(card), /This request expires at \{\{TIME\(2024-07-01T10:15:00Z\)\}\}\./);
      assert.equal(fact(card, 'Department'), undefined, 'no empty Department row');
    });

    it('offers a destructive "Revoke sessions" (confirm) and "Cancel", both carrying only the request id', function () {
      const actions = executeActions(lookup(TARGETS.member)).map(({ action }) => action);
      assert.deepEqual(actions, [
        { type: 'Action.Execute', title: 'Revoke sessions', verb: VERB.confirm, style: 'destructive', data: { subjectId: IDS.requestId } },
        { type: 'Action.Execute', title: 'Cancel', verb: VERB.cancel, data: { subjectId: IDS.requestId } },
      ]);
    });

    it('adds a refresh for the listed Teams users only when asked, and never for more than 60', function () {
      assert.equal(lookup(TARGETS.member).refresh, undefined);
      const ids = Array.from({ length: 75 }, (_, i) => `29:user${i}`);
      const card = renderer.lookup({
        requestId: IDS.requestId,
        target: TARGETS.member,
        requesterName: 'Helen',
        expiresAt: '2024-07-01T10:15:00Z',
        refreshUserIds: ids,
      });
      assert.ok(isRecord(card.refresh));
      assert.deepEqual(card.refresh.userIds, ids.slice(0, 60));
      assert.deepEqual(card.refresh.action, {
        type: 'Action.Execute',
        title: 'Refresh',
        verb: VERB.refresh,
        data: { subjectId: IDS.requestId },
      });
      const working = renderer.working({
        target: TARGETS.member,
        requesterName: 'Helen',
        message: 'Revoking sessions…',
        refreshUserIds: ['29:a'],
      });
      assert.equal(working.refresh, undefined, 'no refresh without a request id to refresh');
    });

    it('gives each candidate a button that sends its index, keeps the UPN whole, and notes a truncated list', function () {
      const candidates = [
        { displayName: 'Adele Vance', userPrincipalName: 'adele@contoso.com' },
        { displayName: TARGETS.long.displayName, userPrincipalName: TARGETS.long.userPrincipalName },
      ];
      const card = renderer.pickList({ pickId: IDS.pickId, query: 'adele', candidates, truncated: true });
      const actions = executeActions(card).map(({ action }) => action);
      assert.deepEqual(
        actions.map((a) => a.data),
        [
          { subjectId: IDS.pickId, choice: 0 },
          { subjectId: IDS.pickId, choice: 1 },
        ],
      );
      assert.equal(actions[0]?.title, 'Adele Vance (adele@contoso.com)');
      const longTitle = String(actions[1]?.title);
      assert.ok(longTitle.endsWith(`… (${TARGETS.long.userPrincipalName})`), longTitle);
      assert.match(allText(card), /Showing the first 2 — type a UPN to be exact\./);
      const complete = renderer.pickList({ pickId: IDS.pickId, query: 'adele', candidates, truncated: false });
      assert.doesNotMatch(allText(complete), /Showing the first/);
    });

    it('after a revocation, lists the next containment steps, member and guest alike', function () {
      const member = renderer.succeeded({
        target: TARGETS.member,
        revokedAt: '2024-07-01T10:05:42.318Z',
        revokedByName: 'Helen Helpdesk',
        graphRequestId: IDS.graphRequestId,
      });
      assert.match(allText(member), /Sessions revoked/);
      assert.match(allText(member), /Reset the password.*Disable the account.*MFA methods.*sign-in logs/s);
      assert.equal(fact(member, 'Revoked'), '{{DATE(2024-07-01T10:05:42Z, SHORT)}} {{TIME(2024-07-01T10:05:42Z)}}');
      assert.equal(fact(member, 'Revoked by'), 'Helen Helpdesk');
      assert.equal(fact(member, 'Sessions valid since'), undefined, 'no valid-since fact until it was read back');
      assert.match(allText(member), new RegExp(`Graph request id: ${IDS.graphRequestId}`));
      const guest = renderer.succeeded({
        target: TARGETS.guest,
        revokedAt: '2024-07-01T10:05:42Z',
        revokedByName: 'Helen Helpdesk',
        verifiedValidFrom: '2024-07-01T10:05:41Z',
      });
      assert.match(allText(guest), /Block sign-in for this guest here.*home organisation/s);
      assert.doesNotMatch(allText(guest), /Reset the password/);
      assert.equal(fact(guest, 'Sessions valid since'), '{{DATE(2024-07-01T10:05:41Z, SHORT)}} {{TIME(2024-07-01T10:05:41Z)}}');
    });

    it('offers Retry only when the failure can be retried and names a request', function () {
      const base = { title: 'Not allowed', message: 'Entra refused.', rolesNeeded: ['Global Administrator'] };
      const retryable = renderer.failed({ ...base, requestId: IDS.requestId, canRetry: true });
      assert.deepEqual(
        executeActions(retryable).map(({ action }) => [action.verb, action.data]),
        [[VERB.retry, { subjectId: IDS.requestId }]],
      );
      assert.deepEqual(executeActions(renderer.failed({ ...base, requestId: IDS.requestId, canRetry: false })), []);
      assert.deepEqual(executeActions(renderer.failed({ ...base, canRetry: true })), []);
      assert.match(allText(retryable), /\*\*Roles that can do this:\*\* Global Administrator/);
    });

    it('colours a notice by tone', function () {
      const colour = (tone: 'info' | 'warning' | 'error'): unknown =>
        objectsIn(renderer.notice({ tone, title: 't', message: 'm' })).find(({ object }) => object.type === 'TextBlock')?.object.color;
      assert.deepEqual([colour('info'), colour('warning'), colour('error')], ['Default', 'Warning', 'Attention']);
    });

    it('lists every way to ask in help', function () {
      const titles = objectsIn(renderer.help({ botName: 'Session Revoker' }))
        .filter(({ object }) => object.type === undefined && typeof object.title === 'string')
        .map(({ object }) => object.title);
      assert.deepEqual(titles, [
        'revoke @Adele',
        'revoke adele@contoso.com',
        'revoke Adele Vance',
        'revoke {object id}',
        'revoke me',
        'revoke group "Finance Team"',
        "revoke where department eq 'HP' and accountEnabled eq false",
        'save selection "Disabled contractors"',
        'revoke adele at 17:00 friday',
        'scheduled',
        'whoami',
        'risky',
        'audit',
      ]);
    });

    it('wraps a card as an Adaptive Card attachment', function () {
      const card = renderer.help({ botName: 'Session Revoker' });
      assert.deepEqual(asAttachment(card), { contentType: 'application/vnd.microsoft.card.adaptive', content: card });
    });
  });

  describe('loading templates', function () {
    let dir: string;

    beforeEach(function () {
      dir = mkdtempSync(path.join(tmpdir(), 'revoker-cards-'));
      for (const file of Object.values(CARD_TEMPLATE_FILES)) copyFileSync(path.join(DEFAULT_CARDS_DIR, file), path.join(dir, file));
    });

    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    function loadError(): CardTemplateError {
      try {
        CardRenderer.load(dir);
      } catch (error) {
        if (error instanceof CardTemplateError) return error;
        throw error;
      }
      return assert.fail('CardRenderer.load accepted a broken template directory');
    }

    function editTemplate(file: string, change: (template: Record<string, Json>) => void): void {
      const full = path.join(dir, file);
      const template = JSON.parse(readFileSync(full, 'utf8')) as Record<string, Json>;
      change(template);
      writeFileSync(full, JSON.stringify(template));
    }

    it('loads a complete copy of the templates', function () {
      assert.ok(CardRenderer.load(dir) instanceof CardRenderer);
    });

    it('reads templates once: cards still render after the directory is gone', function () {
      const loaded = CardRenderer.load(dir);
      rmSync(dir, { recursive: true, force: true });
      assert.equal(loaded.help({ botName: 'Session Revoker' }).type, 'AdaptiveCard');
    });

    it('when a template is missing, then it fails naming the file', function () {
      rmSync(path.join(dir, 'succeeded.json'));
      const error = loadError();
      assert.equal(error.file, path.join(dir, 'succeeded.json'));
      assert.match(error.message, /succeeded\.json: file is missing/);
    });

    it('when a template is not JSON, then it fails naming the file', function () {
      writeFileSync(path.join(dir, 'lookup.json'), '{ "type": "AdaptiveCard", ');
      assert.match(loadError().message, /lookup\.json: is not valid JSON/);
    });

    it('when a template declares a version below 1.5, then it fails naming the file', function () {
      editTemplate('notice.json', (t) => {
        t.version = '1.4';
      });
      assert.match(loadError().message, /notice\.json: version must be 1\.5 or later \(found "1\.4"\)/);
    });

    it('when an action uses a verb the bot does not know, then it fails naming the file', function () {
      editTemplate('failed.json', (t) => {
        t.actions = [{ type: 'Action.Execute', title: 'Delete', verb: 'revocation.delete', data: { subjectId: '${requestId}' } }];
      });
      assert.match(loadError().message, /failed\.json: .*verb "revocation\.delete" is not one of the bot's verbs/);
    });

    it('when an action would carry user data, then it fails naming the file', function () {
      editTemplate('lookup.json', (t) => {
        t.actions = [
          { type: 'Action.Execute', title: 'Revoke', verb: VERB.confirm, data: { subjectId: '${requestId}', upn: '${target.upn}' } },
        ];
      });
      assert.match(loadError().message, /lookup\.json: .*data key "upn" is not allowed for revocation\.confirm/);
    });

    it('when an action would write the old key requestId, then it fails naming the file: new cards carry subjectId (the old key is only read, from cards already posted)', function () {
      editTemplate('lookup.json', (t) => {
        t.actions = [{ type: 'Action.Execute', title: 'Revoke', verb: VERB.confirm, data: { requestId: '${requestId}' } }];
      });
      assert.match(loadError().message, /lookup\.json: .*data key "requestId" is not allowed for revocation\.confirm/);
    });

    it('when a template expression does not parse, then it fails naming the file', function () {
      editTemplate('help.json', (t) => {
        t.fallbackText = '${botName(}';
      });
      assert.match(loadError().message, /help\.json: has an invalid template expression/);
    });
  });
});
