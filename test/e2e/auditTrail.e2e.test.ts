/**
 * The audit trail when its log fails, end to end through the real bot: a record the log refuses
 * for good is set aside and reported by /readyz, and the records behind it still land.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AuditRecordRejectedError, StorageUnavailableError, type AuditEntry, type AuditLog } from '../../src/app/ports/auditLog';
import type { OpenedStorage } from '../../src/storage';
import { startE2E, type E2E } from '../helpers/e2e';
import { requestIdOf, sendForCard, textOf } from '../helpers/flows';

type Refusal = 'unavailable' | 'rejected';

/** The bot's real audit log, refusing the records `policy` names: for now (unavailable) or for good (rejected). */
class RefusingAudit {
  policy: (entry: AuditEntry) => Refusal | undefined = () => undefined;
  real: AuditLog | undefined;

  wrap = (storage: OpenedStorage): OpenedStorage => {
    const real = storage.audit;
    this.real = real;
    const audit: AuditLog = {
      append: async (entry) => {
        const refusal = this.policy(entry);
        if (refusal === 'unavailable') throw new StorageUnavailableError('Injected: storage unavailable.');
        if (refusal === 'rejected') throw new AuditRecordRejectedError('Injected: the store refuses this record.');
        return real.append(entry);
      },
      list: (filter) => real.list(filter),
    };
    return { ...storage, audit };
  };

  async actionsOf(requestId: string): Promise<string[]> {
    assert.ok(this.real);
    return (await this.real.list({ requestId })).map((record) => record.action).reverse();
  }
}

describe('audit trail, end to end', function () {
  this.timeout(30_000);
  const audit = new RefusingAudit();
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E({ wrapStorage: audit.wrap });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('a poisoned record: a record the audit log refuses for good is set aside, /readyz reports it, and the revocation.succeeded behind it lands', async function () {
    const { teams, directory } = e2e.cloud;
    const [helen, uma, megan] = [directory.user('helen'), directory.user('uma'), directory.user('megan.bowen')];
    const chat = teams.groupChat([helen, uma]);
    const card = await sendForCard(teams, helen, chat, `revoke ${megan.userPrincipalName}`, { signIn: true });
    const requestId = requestIdOf(card.card);

    // The store goes down for after-the-fact records: a stranger's click is refused (its record
    // waits), then the requester's revoke runs (its outcome waits behind it).
    audit.policy = (entry) => (entry.action === 'request.refused' || entry.action === 'revocation.succeeded' ? 'unavailable' : undefined);
    assert.match(textOf(await teams.click(uma, card, 'Revoke sessions')), /belongs to|only .* can/i);
    assert.match(textOf((await teams.click(helen, card, 'Revoke sessions')).card), /Sessions revoked/);

    // The store is back, but it will never take the first waiting record.
    audit.policy = (entry) => (entry.action === 'request.refused' ? 'rejected' : undefined);
    for (let i = 0; i < 100 && !(await audit.actionsOf(requestId)).includes('revocation.succeeded'); i += 1)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await audit.actionsOf(requestId), ['request.created', 'revocation.started', 'revocation.succeeded']);

    const refusedDir = path.join(e2e.dataDir, 'audit-set-aside', 'refused');
    const files = readdirSync(refusedDir);
    assert.equal(files.length, 1);
    const kept = JSON.parse(readFileSync(path.join(refusedDir, files[0] ?? ''), 'utf8')) as { entry: AuditEntry; error: { name: string } };
    assert.deepEqual(
      [kept.entry.action, kept.entry.requestId, kept.entry.actor?.aadObjectId, kept.error.name],
      ['request.refused', requestId, uma.id, 'AuditRecordRejectedError'],
    );
    assert.ok(e2e.logs.some((line) => line.includes('set aside for an operator') && line.includes('request.refused')));

    const ready = await fetch(`${e2e.bot.url}/readyz`);
    assert.equal(ready.status, 200, 'the bot still serves');
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      degraded: ['audit: 1 record refused by the audit log, set aside for an operator'],
    });
  });
});
