/**
 * Audit completeness: each core scenario (confirm, cancel, 403, 404, expiry, double click, a
 * stranger's click, a forged token) leaves exactly the records it should — action, actor, target,
 * outcome, Graph request id where Graph answered, tenant — and nothing anywhere under the data
 * directory or in the logs holds a token or the bot's secret.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../../src/app/ports/auditLog';
import { VERB } from '../../src/cards/verbs';
import type { DirectoryUser } from '../../emulator/directory';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf, requestIdOf } from '../helpers/flows';
import { systemClock } from '../../src/domain/clock';

const GRAPH_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FULL_JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

async function readRecords(e2e: E2E, filter: { requestId?: string; actorId?: string }): Promise<AuditRecord[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return (await storage.audit.list({ ...filter, limit: 1000 })).reverse();
  } finally {
    await storage.close();
  }
}

/**
 * The records matching `filter`, oldest first. Records of what already happened are written
 * without holding up the answer, committed off the event loop, so the last may land just after
 * the answer: with `atLeast`, wait (at most 10 s) until that many are there, then read them all.
 */
async function recordsOf(e2e: E2E, filter: { requestId?: string; actorId?: string } = {}, atLeast = 0): Promise<AuditRecord[]> {
  let records = await readRecords(e2e, filter);
  for (let tries = 0; tries < 200 && records.length < atLeast; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    records = await readRecords(e2e, filter);
  }
  return records;
}

/** A record reduced to what the test pins down exactly (the time and ids are checked apart). */
function shape(record: AuditRecord): Record<string, unknown> {
  return {
    action: record.action,
    outcome: record.outcome,
    actor: record.actor?.aadObjectId,
    target: record.target?.id,
    code: record.code,
    graphRequestId:
      record.graphRequestId === undefined
        ? undefined
        : GRAPH_REQUEST_ID.test(record.graphRequestId)
          ? 'graph request id'
          : record.graphRequestId,
  };
}

function expected(
  action: string,
  outcome: string,
  actor: DirectoryUser | undefined,
  target: DirectoryUser,
  extra: { code?: string; graph?: boolean } = {},
): Record<string, unknown> {
  return {
    action,
    outcome,
    actor: actor?.id,
    target: target.id,
    code: extra.code,
    graphRequestId: extra.graph ? 'graph request id' : undefined,
  };
}

/** Every record is well-formed: the tenant, a time, and the people named as the directory names them. */
function assertWellFormed(e2e: E2E, records: readonly AuditRecord[]): void {
  const { directory } = e2e.cloud;
  for (const record of records) {
    assert.equal(record.tenantId, directory.tenantId, `${record.action}: tenant`);
    // Stamped by the bot's clock (this process's): a real instant, not in the future.
    const at = Date.parse(record.at);
    assert.ok(Number.isFinite(at) && at <= systemClock.now().getTime(), `${record.action}: time ${record.at}`);
    if (record.target) {
      const user = directory.users.get(record.target.id);
      if (user)
        assert.deepEqual(
          record.target,
          { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName },
          `${record.action}: target`,
        );
    }
    if (record.actor) {
      const user = directory.users.get(record.actor.aadObjectId);
      assert.ok(user, `${record.action}: actor is a directory user`);
      assert.equal(record.actor.name, user.displayName, `${record.action}: actor name`);
      if (record.actor.userPrincipalName) assert.equal(record.actor.userPrincipalName, user.userPrincipalName);
    }
  }
}

/** Every file under `dir`, read as text (binary files as latin1, so byte patterns still match). */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [{ file: full, text: readFileSync(full).toString('latin1') }];
  });
}

describe('audit completeness, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;
  const checked: string[] = [];

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when a revoke is confirmed, then: request created, revocation started, sessions revoked with Graph’s request id', async function () {
    const { teams, directory } = e2e.cloud;
    const [uma, adele] = [directory.user('uma'), directory.user('adele')];
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${adele.userPrincipalName}`);
    assert.match(textOf((await teams.click(uma, card, 'Revoke sessions')).card), /Sessions revoked/);
    const records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 3);
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', uma, adele),
      expected('revocation.started', 'info', uma, adele),
      expected('revocation.succeeded', 'ok', uma, adele, { graph: true }),
    ]);
    assertWellFormed(e2e, records);
    checked.push('confirm');
  });

  it('when the requester cancels, then: request created, request cancelled — and no Graph record', async function () {
    const { teams, directory } = e2e.cloud;
    const [uma, alex] = [directory.user('uma'), directory.user('alex')];
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${alex.userPrincipalName}`);
    await teams.click(uma, card, 'Cancel');
    const records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 2);
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', uma, alex),
      expected('request.cancelled', 'info', uma, alex),
    ]);
    assertWellFormed(e2e, records);
    checked.push('cancel');
  });

  it('when Entra refuses (403), then: request created, revocation started, revocation failed as forbidden with Graph’s request id', async function () {
    const { teams, directory } = e2e.cloud;
    const [adele, alex] = [directory.user('adele'), directory.user('alex')];
    const card = await sendForCard(teams, adele, teams.personalChat(adele), `revoke ${alex.userPrincipalName}`);
    assert.match(textOf((await teams.click(adele, card, 'Revoke sessions')).card), /You can’t revoke/);
    const records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 3);
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', adele, alex),
      expected('revocation.started', 'info', adele, alex),
      expected('revocation.failed', 'failed', adele, alex, { code: 'forbidden', graph: true }),
    ]);
    assertWellFormed(e2e, records);
    checked.push('403');
  });

  it('when the target is gone (404), then: request created, revocation started, revocation failed as not found with Graph’s request id', async function () {
    const { teams, directory } = e2e.cloud;
    const uma = directory.user('uma');
    const dan = directory.user('dan.disabled');
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${dan.userPrincipalName}`);
    directory.users.delete(dan.id);
    let records: AuditRecord[];
    try {
      assert.match(textOf((await teams.click(uma, card, 'Revoke sessions')).card), /User not found/);
      records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 3);
    } finally {
      directory.users.set(dan.id, dan);
    }
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', uma, dan),
      expected('revocation.started', 'info', uma, dan),
      expected('revocation.failed', 'failed', uma, dan, { code: 'not_found', graph: true }),
    ]);
    assertWellFormed(e2e, records);
    checked.push('404');
  });

  it('when the requester double-clicks and Teams replays the click, then the story is told once: no duplicate start or success', async function () {
    const { teams, directory } = e2e.cloud;
    const [uma, megan] = [directory.user('uma'), directory.user('megan.bowman')];
    const chat = teams.personalChat(uma);
    const card = await sendForCard(teams, uma, chat, `revoke ${megan.userPrincipalName}`);
    await Promise.all([
      teams.click(uma, card, 'Revoke sessions'),
      teams.click(uma, card, 'Revoke sessions'),
      teams.click(uma, card, 'Revoke sessions'),
    ]);
    const requestId = requestIdOf(card.card);
    await teams.postActivity(
      teams.invokeActivityFor(uma, chat, card, 'adaptiveCard/action', {
        action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId } },
        trigger: 'manual',
      }),
    );
    const all = await recordsOf(e2e, { requestId }, 3);
    // A click that lands while the first one's revoke runs is refused as in progress, and that refusal
    // is recorded (whether one lands then depends on timing); the story of the revoke is told once.
    const refusals = all.filter((r) => r.action === 'request.refused');
    assert.ok(
      refusals.every((r) => r.code === 'in_progress' && r.actor?.aadObjectId === uma.id),
      JSON.stringify(refusals.map(shape)),
    );
    const records = all.filter((r) => r.action !== 'request.refused');
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', uma, megan),
      expected('revocation.started', 'info', uma, megan),
      expected('revocation.succeeded', 'ok', uma, megan, { graph: true }),
    ]);
    checked.push('double click');
  });

  it('when someone other than the requester clicks, then the refusal is recorded with who clicked', async function () {
    const { teams, directory } = e2e.cloud;
    // Aaron has not been refused before in this bot's life: a person's repeated refusals within a
    // window are counted into one summary (src/app/refusalWindows.ts), so the first is the one written.
    const [helen, aaron, megan] = [directory.user('helen'), directory.user('aaron'), directory.user('megan.bowen')];
    const chat = teams.groupChat([helen, aaron]);
    const card = await sendForCard(teams, helen, chat, `revoke ${megan.userPrincipalName}`, { signIn: true });
    const click = await teams.click(aaron, card, 'Revoke sessions');
    assert.match(textOf(click), /belongs to|only .* can/i);
    const records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 2);
    assert.deepEqual(records.map(shape), [
      expected('request.created', 'info', helen, megan),
      expected('request.refused', 'refused', aaron, megan, { code: 'not_requester' }),
    ]);
    assertWellFormed(e2e, records);
    checked.push('stranger');
  });

  it('when a click carries a forged SSO token, then the refused sign-in is recorded — who, why, tenant — and the token is nowhere', async function () {
    const { teams, directory, entra, app } = e2e.cloud;
    const sam = directory.user('sam');
    const chat = teams.groupChat([sam, directory.user('priya')]);
    const card = await sendForCard(teams, sam, chat, 'revoke me', { signIn: true });
    const forged = await entra.issueSsoToken(sam.id, { appId: app.appId, forge: true });
    const before = (await recordsOf(e2e, { actorId: sam.id })).length;
    await teams.postActivity(
      teams.invokeActivityFor(sam, chat, card, 'adaptiveCard/action', {
        action: { type: 'Action.Execute', verb: VERB.confirm, data: { requestId: requestIdOf(card.card) } },
        trigger: 'manual',
        authentication: { id: 'x', connectionName: 'c', token: forged },
      }),
    );
    // The refusal's record is written without holding up the refusal (src/app.ts), and writes
    // commit off the event loop: it may land just after the answer. Wait for it (at most 5 s).
    let added: AuditRecord[] = [];
    for (let tries = 0; tries < 100 && added.length === 0; tries += 1) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      added = (await recordsOf(e2e, { actorId: sam.id })).slice(before);
    }
    assert.deepEqual(
      added.map((r) => [r.action, r.outcome, r.code, r.tenantId, r.requestId]),
      [['signin.refused', 'refused', 'signature', directory.tenantId, undefined]],
    );
    const signature = forged.split('.')[2]!;
    assert.ok(!e2e.logs.join('').includes(signature), 'not in the logs');
    assert.ok(!filesUnder(e2e.dataDir).some(({ text }) => text.includes(signature)), 'not in the data directory');
    checked.push('forged token');
  });

  it('after every scenario, then no file under the data directory and no log line holds a JWT or the bot’s client secret', function () {
    assert.ok(checked.length >= 7, `the scenarios ran first (${checked.join(', ')})`);
    const files = filesUnder(e2e.dataDir);
    assert.ok(
      files.some(({ file }) => file.endsWith('.sqlite')),
      'the database is among the files scanned',
    );
    const secret = e2e.cloud.app.secret;
    for (const { file, text } of files) {
      assert.ok(!FULL_JWT.test(text), `${path.basename(file)} holds a JWT`);
      assert.ok(!text.includes(secret), `${path.basename(file)} holds the client secret`);
    }
    assert.ok(
      e2e.logs.some((line) => line.includes('listening')),
      'the logs were captured',
    );
    for (const line of e2e.logs) {
      assert.ok(!FULL_JWT.test(line), 'a log line holds a JWT');
      assert.ok(!line.includes(secret), 'a log line holds the client secret');
    }
  });
});

describe('audit completeness for expiry, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E({ env: { REQUEST_TTL_MINUTES: '0.02' } });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('when the requester clicks after expiry, then: request created, request expired (by no one), and the late click refused as expired', async function () {
    const { teams, directory } = e2e.cloud;
    const [uma, adele] = [directory.user('uma'), directory.user('adele')];
    const card = await sendForCard(teams, uma, teams.personalChat(uma), `revoke ${adele.userPrincipalName}`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.match(textOf((await teams.click(uma, card, 'Revoke sessions')).card), /Expired/);
    await teams.click(uma, card, 'Revoke sessions').catch(() => undefined);
    const records = await recordsOf(e2e, { requestId: requestIdOf(card.card) }, 3);
    assert.deepEqual(records.map(shape).slice(0, 3), [
      expected('request.created', 'info', uma, adele),
      expected('request.expired', 'info', undefined, adele),
      expected('request.refused', 'refused', uma, adele, { code: 'expired' }),
    ]);
    assert.equal(records.filter((r) => r.action === 'request.expired').length, 1, 'the expiry is recorded once, however often it is read');
    assertWellFormed(e2e, records);
  });
});
