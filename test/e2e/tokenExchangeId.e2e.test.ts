/**
 * The `id` of a signin/tokenExchange invoke is chosen by the client and becomes part of a store
 * key: through the real bot, a long or odd one gets a 400 before any token check and nothing is
 * written; the id Teams really sends (our card's UUID) is deduplicated as before.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NAMESPACE } from '../../src/app/ports/namespaces';
import { systemClock } from '../../src/domain/clock';
import { openSqliteStorage } from '../../src/storage/openSqliteStorage';
import { startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';

async function tokenExchangeKeys(e2e: E2E): Promise<string[]> {
  const storage = openSqliteStorage({ dataDir: e2e.dataDir, clock: systemClock });
  try {
    return (await storage.state.list(NAMESPACE.tokenExchanges)).map((item) => item.key);
  } finally {
    await storage.close();
  }
}

describe('the client-chosen signin/tokenExchange id, end to end', function () {
  this.timeout(60_000);
  let e2e: E2E;

  before(async function () {
    e2e = await startE2E();
  });

  after(async function () {
    await e2e?.stop();
  });

  it('Unbounded store keys through the token exchange id: a 100,000-character id, or one with dots, spaces or a separator, gets 400 and no store write', async function () {
    const { teams, directory, entra, app } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const message = await sendForCard(teams, uma, chat, 'whoami');
    const before = await tokenExchangeKeys(e2e);
    const token = await entra.issueSsoToken(uma.id, { appId: app.appId });
    for (const id of ['x'.repeat(100_000), 'a'.repeat(129), 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'two words', 'a|b', '', 42]) {
      const answer = await teams.postActivity(
        teams.invokeActivityFor(uma, chat, message, 'signin/tokenExchange', { id, connectionName: 'revoker-sso', token }),
      );
      assert.equal(answer.status, 400, `id ${JSON.stringify(id).slice(0, 40)}: ${answer.status}`);
      assert.ok(textOf(answer.body).length < 200, 'the id is not echoed back');
    }
    assert.deepEqual(await tokenExchangeKeys(e2e), before);
  });

  it('when Teams sends the id from the card (a UUID) twice, then the first is acted on and stored once, the second answered 200 without acting', async function () {
    const { teams, directory, entra, app } = e2e.cloud;
    const uma = directory.user('uma');
    const chat = teams.personalChat(uma);
    const message = await sendForCard(teams, uma, chat, 'whoami');
    const before = await tokenExchangeKeys(e2e);
    const id = randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const token = await entra.issueSsoToken(uma.id, { appId: app.appId });
      const answer = await teams.postActivity(
        teams.invokeActivityFor(uma, chat, message, 'signin/tokenExchange', { id, connectionName: 'revoker-sso', token }),
      );
      assert.equal(answer.status, 200, textOf(answer.body));
    }
    const added = (await tokenExchangeKeys(e2e)).filter((key) => !before.includes(key));
    assert.deepEqual(added, [`${chat.id}|${id}`]);
  });
});
