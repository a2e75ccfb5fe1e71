import assert from 'node:assert/strict';
import { FAILURES_SHOWN, timeLeftText } from '../../src/cards/bulkCard';
import { CardRenderer } from '../../src/cards/render';
import type { BulkView } from '../../src/cards/views';

/** A running department of 10,000 in which every user failed: the worst case for the card's size. */
function allFailed(): BulkView {
  return {
    runId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    sourceLabel: 'department “Field Sales”',
    requesterName: 'Helen Helpdesk',
    state: 'completed',
    total: 10_000,
    sample: ['Adele Vance'],
    tierCounts: { nonAdmin: 0, limitedAdmin: 0, privilegedAdmin: 10_000, unknown: 0 },
    admins: Array.from({ length: 10_000 }, (_, i) => `Field Sales Admin ${i + 1} (privileged admin)`),
    progress: { done: 0, failed: 10_000, remaining: 0 },
    failures: Array.from({ length: 10_000 }, (_, i) => ({
      name: `Field Sales Admin ${i + 1}`,
      userPrincipalName: `fs.admin${i + 1}@contoso.com`,
      reason: 'you can’t revoke this user’s sessions',
    })),
    decidedByName: 'Priya Privauth',
    decidedAt: '2024-07-01T10:09:00Z',
    expiresAt: '2024-07-01T10:15:00Z',
    viewer: 'readOnly',
  };
}

describe('the bulk card at scale', function () {
  it('when the time left is told, then it is rounded as a person would say it', function () {
    assert.deepEqual(
      [undefined, -1, Number.NaN, 0, 59_999, 60_000, 89_000, 301_000, 89 * 60_000, 95 * 60_000, 6 * 3_600_000].map(timeLeftText),
      [
        undefined,
        undefined,
        undefined,
        'less than a minute left',
        'less than a minute left',
        'about 1 minute left',
        'about 1 minute left',
        'about 5 minutes left',
        'about 89 minutes left',
        'about 1.5 hours left',
        'about 6 hours left',
      ],
    );
  });

  it('when every one of 10,000 users failed, then the card lists the first few, counts the rest and stays far below Teams’ 28 KB', function () {
    const card = CardRenderer.load().bulk(allFailed());
    const json = JSON.stringify(card);
    assert.ok(json.length < 12_000, `${json.length} bytes`);
    const failures = (card.body as { text?: string }[]).find((b) => b.text?.startsWith('**Not revoked:**'))?.text ?? '';
    assert.equal(failures.split('\r').length, 1 + FAILURES_SHOWN + 1, 'a heading, the first 20 and one line for the rest');
    assert.match(failures, /- and 9,980 more; the audit trail names each one and why\.$/);
    assert.match(json, /Done .*: 0 revoked, 10,000 not revoked\./);
    const pending = JSON.stringify(
      CardRenderer.load().bulk({ ...allFailed(), state: 'pending', viewer: 'requester', progress: undefined }),
    );
    assert.ok(pending.length < 12_000, `the confirmation card: ${pending.length} bytes`);
    assert.match(pending, /; and 9,990 more\. Entra decides per person/);
    assert.match(pending, /"title":"Revoke all 10,000"/);
  });

  it('when a run is running with a time left, then the status says it in words; when it is unknown, then it says nothing of it', function () {
    const running: BulkView = { ...allFailed(), state: 'running', failures: [], progress: { done: 10, failed: 0, remaining: 9990 } };
    const statusOf = (view: BulkView): string | undefined =>
      (CardRenderer.load().bulk(view).body as { text?: string }[]).find((b) => b.text?.startsWith('Started by'))?.text;
    assert.equal(
      statusOf({ ...running, timeLeftInMs: 351_000 }),
      'Started by Priya Privauth. About 6 minutes left at the pace Microsoft Graph allows. This card updates as batches finish.',
    );
    assert.equal(statusOf(running), 'Started by Priya Privauth. This card updates as batches finish.');
  });
});
