import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { LEGACY_SUBJECT_ID_KEY, SUBJECT_ID_KEY, subjectIdOf } from '../../src/cards/actionRules';
import { ALL_VERBS } from '../../src/cards/verbs';
import { parseCommand, type Command } from '../../src/domain/command';
import { COMMAND_ROUTES, commandHandler, commandRoute, invokeHandler, INVOKE_ROUTES, VERB_ROUTES, verbHandler } from '../../src/bot/routes';

const ID = '6e7b768e-07e2-4810-8459-485f84f8f204';

describe('the routes table', function () {
  it('routes every verb the cards carry, and nothing else', function () {
    assert.deepEqual(Object.keys(VERB_ROUTES).sort(), [...ALL_VERBS].sort());
    for (const verb of ALL_VERBS) assert.equal(verbHandler(verb), VERB_ROUTES[verb], verb);
  });

  it('when a click names a verb the bot never put on a card (or an object’s own property name), then no handler is found', function () {
    for (const verb of [
      'revocation.delete',
      'approval.approveAll',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      '',
      42,
      undefined,
      null,
      { verb: 'revocation.confirm' },
    ]) {
      assert.equal(verbHandler(verb), undefined, inspect(verb));
    }
  });

  it('routes each typed command by what the help card calls it', function () {
    const cases: [string, string][] = [
      [`revoke ${ID}`, 'revoke'],
      ['revoke adele@contoso.com', 'revoke'],
      ['revoke me', 'revoke'],
      ['revoke group "Finance Team"', 'revoke group'],
      ['revoke department "HP"', 'revoke department'],
      ['whoami', 'whoami'],
      ['audit', 'audit'],
      ['help', 'help'],
      ['make me a sandwich', 'help'],
      ['revoke a@b@c', 'invalid'],
    ];
    for (const [text, route] of cases) {
      const command: Command = parseCommand({ text, mentions: [] });
      assert.equal(commandRoute(command), route, text);
      assert.equal(commandHandler(command), COMMAND_ROUTES[commandRoute(command)], text);
    }
  });

  it('answers the sign-in invokes, and leaves every other invoke to the Teams handler', function () {
    assert.deepEqual(Object.keys(INVOKE_ROUTES).sort(), ['signin/tokenExchange', 'signin/verifyState']);
    assert.ok(invokeHandler('signin/tokenExchange'));
    assert.ok(invokeHandler('signin/verifyState'));
    for (const name of ['signin/failure', 'task/fetch', 'constructor', '__proto__', undefined])
      assert.equal(invokeHandler(name), undefined, String(name));
  });
});

describe('the subject id a click carries', function () {
  it('is read from subjectId, lower-cased', function () {
    assert.equal(subjectIdOf({ [SUBJECT_ID_KEY]: ID.toUpperCase() }), ID);
  });

  it('when a card posted before the rename sends requestId, then that is read too; subjectId wins when both are sent', function () {
    assert.equal(subjectIdOf({ [LEGACY_SUBJECT_ID_KEY]: ID }), ID);
    assert.equal(subjectIdOf({ [SUBJECT_ID_KEY]: ID, [LEGACY_SUBJECT_ID_KEY]: '00000000-0000-4000-8000-000000000000' }), ID);
  });

  it('when it is not a GUID (a path, a name, a number, nothing), then there is none', function () {
    for (const id of ['../../users/x', 'Adele Vance', `${ID} `, `{${ID}}`, 42, undefined, null, {}]) {
      assert.equal(subjectIdOf({ [SUBJECT_ID_KEY]: id }), undefined, inspect(id));
    }
    assert.equal(subjectIdOf({}), undefined);
  });
});
