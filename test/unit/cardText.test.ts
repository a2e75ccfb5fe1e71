import assert from 'node:assert/strict';
import { cardToText } from '../../demo/cardText';

describe('the terminal demo’s card text', function () {
  it('shows text, facts, list lines, inputs and numbered actions, and resolves date functions', function () {
    const card = {
      type: 'AdaptiveCard',
      body: [
        { type: 'TextBlock', text: '**Revoke** sign-in sessions?' },
        { type: 'FactSet', facts: [{ title: 'Sessions valid since', value: '{{DATE(2026-01-05T08:00:00Z, SHORT)}}' }] },
        { type: 'TextBlock', text: '- Reset the password\r- Disable the account' },
        {
          type: 'Container',
          items: [
            { type: 'Input.Toggle', title: 'Disable the account' },
            { type: 'Input.Text', label: 'Reason' },
          ],
        },
        { type: 'TextBlock', text: 'hidden', isVisible: false },
      ],
      actions: [
        { type: 'Action.Execute', title: 'Revoke sessions', verb: 'revocation.confirm' },
        { type: 'Action.Execute', title: 'Cancel', verb: 'revocation.cancel' },
      ],
    };
    const text = cardToText(card);
    assert.equal(text.lines[0], 'Revoke sign-in sessions?');
    assert.match(text.lines[1]!, /^Sessions valid since: \S/);
    assert.doesNotMatch(text.lines[1]!, /DATE/);
    assert.deepEqual(text.lines.slice(2), ['- Reset the password', '- Disable the account', '[ ] Disable the account', '(Reason)']);
    assert.deepEqual(text.actions, [
      { title: 'Revoke sessions', verb: 'revocation.confirm' },
      { title: 'Cancel', verb: 'revocation.cancel' },
    ]);
  });
});
