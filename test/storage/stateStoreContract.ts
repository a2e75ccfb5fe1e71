/**
 * The behaviour every StateStore backend must have (SQLite now, Azure Blob later). A backend's
 * test file calls describeStateStoreContract with a factory for a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { SecretLikeValueError, StorageUnavailableError, type StateStore } from '../../src/app/ports/stateStore';
import type { ManualClock } from '../helpers/clock';

export interface StateStoreContractFixture {
  /** A store on fresh, empty data. */
  readonly store: StateStore;
  /** The clock `store` (and `second`'s stores) decide expiry by. */
  readonly clock: ManualClock;
  /** Closes `store` (the contract may already have closed it) and removes the data. */
  dispose(): Promise<void>;
  /**
   * Another instance/connection on the same data, for the concurrency cases; the contract closes
   * every store it returns. Without it those cases race two writers on `store` itself.
   */
  readonly second?: () => Promise<StateStore>;
}

/** A JWT-shaped string (not a real token: the signature is random bytes). */
export function fakeJwt(): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'api://revoker', oid: 'someone' })}.${Buffer.from('not a signature at all').toString('base64url')}`;
}

interface Counter {
  readonly count: number;
}

/** Increments with retry-on-conflict, as a use case would; returns how many conflicts it met. */
async function increment(store: StateStore, namespace: string, key: string): Promise<number> {
  for (let conflicts = 0; conflicts < 10_000; conflicts += 1) {
    const current = await store.get<Counter>(namespace, key);
    assert.ok(current, 'the counter exists');
    // Yield so that the other writers interleave between our read and our write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const result = await store.replace<Counter>(namespace, key, { count: current.value.count + 1 }, current.etag);
    if (result.ok) return conflicts;
    assert.equal(result.reason, 'conflict');
  }
  throw new Error('increment never won a compare-and-set');
}

export function describeStateStoreContract(name: string, makeStore: () => Promise<StateStoreContractFixture>): void {
  describe(`${name}: StateStore contract`, function () {
    let fixture: StateStoreContractFixture;
    let store: StateStore;
    let clock: ManualClock;
    const opened: StateStore[] = [];

    beforeEach(async function () {
      fixture = await makeStore();
      store = fixture.store;
      clock = fixture.clock;
    });

    afterEach(async function () {
      for (const other of opened.splice(0)) await other.close();
      await fixture.dispose();
    });

    async function otherWriter(): Promise<StateStore> {
      if (!fixture.second) return store;
      const other = await fixture.second();
      opened.push(other);
      return other;
    }

    describe('create, get, replace, delete', function () {
      it('when nothing was stored under a key, then get answers undefined', async function () {
        assert.equal(await store.get('pending', 'nobody'), undefined);
      });

      it('when an item is created, then get returns its value with the etag create answered', async function () {
        const created = await store.create('pending', 'r1', { target: 'adele', step: 1 });
        assert.ok(created.ok);
        assert.equal(typeof created.etag, 'string');
        assert.ok(created.etag.length > 0);
        assert.deepEqual(await store.get('pending', 'r1'), { value: { target: 'adele', step: 1 }, etag: created.etag });
      });

      it('when an item already exists, then create answers exists with the current item and changes nothing', async function () {
        const first = await store.create('pending', 'r1', { step: 1 });
        assert.ok(first.ok);
        const second = await store.create('pending', 'r1', { step: 2 });
        assert.deepEqual(second, { ok: false, reason: 'exists', current: { value: { step: 1 }, etag: first.etag } });
        assert.deepEqual((await store.get('pending', 'r1'))?.value, { step: 1 });
      });

      it('when replace carries the current etag, then it stores the value under a new etag', async function () {
        const created = await store.create('pending', 'r1', { step: 1 });
        assert.ok(created.ok);
        const replaced = await store.replace('pending', 'r1', { step: 2 }, created.etag);
        assert.ok(replaced.ok);
        assert.notEqual(replaced.etag, created.etag);
        assert.deepEqual(await store.get('pending', 'r1'), { value: { step: 2 }, etag: replaced.etag });
      });

      it('when replace carries a stale etag, then it answers conflict and leaves the stored value', async function () {
        const created = await store.create('pending', 'r1', { step: 1 });
        assert.ok(created.ok);
        const replaced = await store.replace('pending', 'r1', { step: 2 }, created.etag);
        assert.ok(replaced.ok);
        assert.deepEqual(await store.replace('pending', 'r1', { step: 3 }, created.etag), { ok: false, reason: 'conflict' });
        assert.deepEqual(await store.get('pending', 'r1'), { value: { step: 2 }, etag: replaced.etag });
      });

      it('when the item does not exist, then replace answers missing and creates nothing', async function () {
        const created = await store.create('pending', 'other', { step: 1 });
        assert.ok(created.ok);
        assert.deepEqual(await store.replace('pending', 'r1', { step: 2 }, created.etag), { ok: false, reason: 'missing' });
        assert.equal(await store.get('pending', 'r1'), undefined);
      });

      it('when an item is deleted without an etag, then it is gone and a second delete answers false', async function () {
        assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
        assert.equal(await store.delete('pending', 'r1'), true);
        assert.equal(await store.get('pending', 'r1'), undefined);
        assert.equal(await store.delete('pending', 'r1'), false);
      });

      it('when delete carries a stale etag, then it answers false and keeps the item; with the current etag it deletes', async function () {
        const created = await store.create('pending', 'r1', { step: 1 });
        assert.ok(created.ok);
        const replaced = await store.replace('pending', 'r1', { step: 2 }, created.etag);
        assert.ok(replaced.ok);
        assert.equal(await store.delete('pending', 'r1', created.etag), false);
        assert.deepEqual((await store.get('pending', 'r1'))?.value, { step: 2 });
        assert.equal(await store.delete('pending', 'r1', replaced.etag), true);
        assert.equal(await store.get('pending', 'r1'), undefined);
      });

      it('when an item is deleted and created again, then the old etag does not match the new item', async function () {
        const first = await store.create('pending', 'r1', { step: 1 });
        assert.ok(first.ok);
        assert.equal(await store.delete('pending', 'r1'), true);
        const again = await store.create('pending', 'r1', { step: 1 });
        assert.ok(again.ok);
        assert.notEqual(again.etag, first.etag);
        assert.deepEqual(await store.replace('pending', 'r1', { step: 9 }, first.etag), { ok: false, reason: 'conflict' });
      });

      it('when the same key is used in two namespaces, then they are separate items', async function () {
        assert.ok((await store.create('pending', 'k', { from: 'pending' })).ok);
        assert.ok((await store.create('approvals', 'k', { from: 'approvals' })).ok);
        assert.equal(await store.delete('pending', 'k'), true);
        assert.deepEqual((await store.get('approvals', 'k'))?.value, { from: 'approvals' });
      });

      it('when a key looks like a path or holds odd characters, then it is still one exact key', async function () {
        const keys = ['a/b', 'a', 'a%', 'A/b', 'user@contoso.com', 'r 1', 'ключ'];
        for (const key of keys) assert.ok((await store.create('odd', key, { key })).ok, key);
        for (const key of keys) assert.deepEqual((await store.get('odd', key))?.value, { key });
      });
    });

    describe('values', function () {
      it('when values hold unicode, nesting and every JSON type, then they come back equal', async function () {
        const value = {
          name: 'Ádèle Vance 👩‍💻 עברית 中文 e\u0301',
          controls: 'tab\tnew line\n quote" backslash\\ nul\u0000',
          lone: '\ud800',
          nested: { list: [1, -2.5, 1e21, true, false, null, { deep: [[['x']]] }], empty: {}, none: [] },
          count: 0,
          blank: '',
        };
        assert.ok((await store.create('values', 'v', value)).ok);
        assert.deepEqual((await store.get('values', 'v'))?.value, value);
        assert.deepEqual((await store.list('values'))[0]?.value, value);
      });

      it('when values are plain strings, numbers or null, then they come back equal', async function () {
        for (const [key, value] of [
          ['s', 'just text'],
          ['n', 42],
          ['z', null],
          ['b', false],
        ] as const) {
          assert.ok((await store.create('values', key, value)).ok);
          assert.deepEqual((await store.get('values', key))?.value, value);
        }
      });

      it('when a value is not JSON (undefined), then create refuses it with a TypeError', async function () {
        await assert.rejects(store.create('values', 'u', undefined), TypeError);
        assert.equal(await store.get('values', 'u'), undefined);
      });
    });

    describe('refusing secrets', function () {
      it('when a value holds a JWT anywhere, then create refuses it and stores nothing', async function () {
        const jwt = fakeJwt();
        for (const value of [jwt, { ssoHint: jwt }, { a: [{ b: { c: `Bearer ${jwt}` } }] }, { note: `token=${jwt};` }]) {
          await assert.rejects(store.create('pending', 'r1', value), (error: unknown) => {
            assert.ok(error instanceof SecretLikeValueError);
            assert.equal(error.code, 'secret_like_value');
            assert.ok(!error.message.includes(jwt.slice(0, 20)), 'the message does not echo the token');
            return true;
          });
        }
        assert.equal(await store.get('pending', 'r1'), undefined);
        assert.deepEqual(await store.list('pending'), []);
      });

      it('when a replacement holds a JWT, then replace refuses it and the stored value stays', async function () {
        const created = await store.create('pending', 'r1', { step: 1 });
        assert.ok(created.ok);
        await assert.rejects(store.replace('pending', 'r1', { step: 2, token: fakeJwt() }, created.etag), SecretLikeValueError);
        assert.deepEqual(await store.get('pending', 'r1'), { value: { step: 1 }, etag: created.etag });
      });

      it('when a value carries a credential-named field or a private key, then create refuses it', async function () {
        await assert.rejects(store.create('pending', 'r1', { accessToken: 'opaque-but-still-a-token' }), SecretLikeValueError);
        await assert.rejects(store.create('pending', 'r1', { client_secret: 'abc' }), SecretLikeValueError);
        await assert.rejects(store.create('pending', 'r1', { pem: '-----BEGIN PRIVATE KEY-----\nMIIE...' }), SecretLikeValueError);
        assert.equal(await store.get('pending', 'r1'), undefined);
      });

      it('when a key holds a JWT, then the write is refused', async function () {
        await assert.rejects(store.create('pending', fakeJwt(), { step: 1 }), SecretLikeValueError);
      });

      it('when a value merely mentions tokens, then it is stored', async function () {
        const value = {
          reason: 'token expired',
          requestedBy: 'adele@contoso.com',
          tokenExpiresAt: '2026-01-01T00:00:00Z',
          id: '6e7f8091-a2b3-4c5d-9e8f-1a2b3c4d5e6f',
        };
        assert.ok((await store.create('pending', 'r1', value)).ok);
        assert.deepEqual((await store.get('pending', 'r1'))?.value, value);
      });
    });

    describe('expiry', function () {
      it('when an item has expired, then get, list, replace and delete treat it as absent and create succeeds over it', async function () {
        const past = new Date(clock.now().getTime() - 1000);
        const created = await store.create('pending', 'old', { step: 1 }, { expiresAt: past });
        assert.ok(created.ok);
        assert.equal(await store.get('pending', 'old'), undefined);
        assert.deepEqual(await store.list('pending'), []);
        assert.deepEqual(await store.replace('pending', 'old', { step: 2 }, created.etag), { ok: false, reason: 'missing' });
        assert.equal(await store.delete('pending', 'old'), false);
        assert.ok((await store.create('pending', 'old', { step: 3 }, { expiresAt: past })).ok);
        const fresh = await store.create('pending', 'old', { step: 4 });
        assert.ok(fresh.ok);
        assert.deepEqual(await store.get('pending', 'old'), { value: { step: 4 }, etag: fresh.etag });
      });

      it('when an item expires later, then it is visible until its expiry and absent after it', async function () {
        const created = await store.create('pending', 'soon', { step: 1 }, { expiresAt: new Date(clock.now().getTime() + 400) });
        assert.ok(created.ok);
        assert.ok((await store.create('pending', 'forever', { step: 1 })).ok);
        assert.deepEqual((await store.get('pending', 'soon'))?.value, { step: 1 });
        assert.equal((await store.list('pending')).length, 2);
        clock.advance(600);
        assert.equal(await store.get('pending', 'soon'), undefined);
        assert.deepEqual(
          (await store.list('pending')).map((item) => item.key),
          ['forever'],
        );
        assert.deepEqual((await store.create('pending', 'soon', { step: 2 })).ok, true);
      });

      it('when replace gives a new expiry, then it applies; when replace gives none, then the item no longer expires', async function () {
        const created = await store.create('pending', 'a', { step: 1 }, { expiresAt: new Date(clock.now().getTime() + 60_000) });
        assert.ok(created.ok);
        const shortened = await store.replace('pending', 'a', { step: 2 }, created.etag, {
          expiresAt: new Date(clock.now().getTime() - 1),
        });
        assert.ok(shortened.ok);
        assert.equal(await store.get('pending', 'a'), undefined);

        const b = await store.create('pending', 'b', { step: 1 }, { expiresAt: new Date(clock.now().getTime() + 400) });
        assert.ok(b.ok);
        assert.ok((await store.replace('pending', 'b', { step: 2 }, b.etag)).ok);
        clock.advance(600);
        assert.deepEqual((await store.get('pending', 'b'))?.value, { step: 2 });
      });
    });

    describe('list', function () {
      it('when items are written, then list returns the namespace most recently written first, with keys and usable etags', async function () {
        const a = await store.create('pending', 'a', { n: 'a' });
        assert.ok(a.ok);
        assert.ok((await store.create('pending', 'b', { n: 'b' })).ok);
        assert.ok((await store.create('pending', 'c', { n: 'c' })).ok);
        assert.ok((await store.create('elsewhere', 'z', { n: 'z' })).ok);
        const replaced = await store.replace('pending', 'a', { n: 'a2' }, a.etag);
        assert.ok(replaced.ok);

        const items = await store.list<{ n: string }>('pending');
        assert.deepEqual(
          items.map((item) => [item.key, item.value.n]),
          [
            ['a', 'a2'],
            ['c', 'c'],
            ['b', 'b'],
          ],
        );
        assert.equal(items[0]?.etag, replaced.etag);
        const c = items[1];
        assert.ok(c);
        assert.ok((await store.replace('pending', c.key, { n: 'c2' }, c.etag)).ok);
      });

      it('when a limit is given, then list returns only that many of the newest', async function () {
        for (const key of ['k1', 'k2', 'k3', 'k4']) assert.ok((await store.create('pending', key, { key })).ok);
        assert.deepEqual(
          (await store.list('pending', { limit: 2 })).map((item) => item.key),
          ['k4', 'k3'],
        );
        assert.deepEqual(await store.list('pending', { limit: 0 }), []);
      });

      it('when a key prefix is given, then list returns exactly the keys that start with it, case-sensitively', async function () {
        const keys = ['target:1:r1', 'target:1:r2', 'target:10:r3', 'target:2:r4', 'Target:1:r5', 'target_1:r6', 'target%1:r7'];
        for (const key of keys) assert.ok((await store.create('pending', key, {})).ok);
        assert.deepEqual((await store.list('pending', { keyPrefix: 'target:1:' })).map((item) => item.key).sort(), [
          'target:1:r1',
          'target:1:r2',
        ]);
        assert.deepEqual((await store.list('pending', { keyPrefix: 'target:1' })).map((item) => item.key).sort(), [
          'target:10:r3',
          'target:1:r1',
          'target:1:r2',
        ]);
        assert.deepEqual(
          (await store.list('pending', { keyPrefix: 'target%' })).map((item) => item.key),
          ['target%1:r7'],
        );
        assert.deepEqual(
          (await store.list('pending', { keyPrefix: 'target:1:', limit: 1 })).map((item) => item.key),
          ['target:1:r2'],
        );
        assert.deepEqual(await store.list('pending', { keyPrefix: 'nothing' }), []);
      });

      it('when the namespace is empty, then list returns an empty array', async function () {
        assert.deepEqual(await store.list('nothing-here'), []);
      });
    });

    describe('concurrent writers', function () {
      it('when two writers race a compare-and-set from the same etag, then exactly one wins and its value is stored', async function () {
        const other = await otherWriter();
        const created = await store.create('race', 'r1', { by: 'nobody' });
        assert.ok(created.ok);
        const results = await Promise.all([
          store.replace('race', 'r1', { by: 'first' }, created.etag),
          other.replace('race', 'r1', { by: 'second' }, created.etag),
        ]);
        const winners = results.filter((result) => result.ok);
        assert.equal(winners.length, 1);
        assert.deepEqual(
          results.filter((result) => !result.ok),
          [{ ok: false, reason: 'conflict' }],
        );
        const stored = await other.get<{ by: string }>('race', 'r1');
        assert.equal(stored?.etag, winners[0]?.ok ? winners[0].etag : undefined);
        assert.equal(stored?.value.by, results[0]?.ok ? 'first' : 'second');
      });

      it('when two writers create the same key at once, then exactly one creates it and the other sees it', async function () {
        const other = await otherWriter();
        const results = await Promise.all([store.create('race', 'r1', { by: 'first' }), other.create('race', 'r1', { by: 'second' })]);
        assert.equal(results.filter((result) => result.ok).length, 1);
        const loser = results.find((result) => !result.ok);
        assert.ok(loser && !loser.ok);
        assert.deepEqual(loser.current, await store.get('race', 'r1'));
      });

      it('when 50 increments race with retry-on-conflict across two writers, then the counter ends at exactly 50', async function () {
        const other = await otherWriter();
        assert.ok((await store.create<Counter>('race', 'counter', { count: 0 })).ok);
        const conflicts = await Promise.all(
          Array.from({ length: 50 }, (_, i) => increment(i % 2 === 0 ? store : other, 'race', 'counter')),
        );
        assert.deepEqual((await store.get<Counter>('race', 'counter'))?.value, { count: 50 });
        assert.ok(conflicts.reduce((sum, n) => sum + n, 0) > 0, 'the writers really did conflict');
      });

      it('when two writers race to delete with the same etag, then exactly one deletes', async function () {
        const other = await otherWriter();
        const created = await store.create('race', 'r1', { step: 1 });
        assert.ok(created.ok);
        const results = await Promise.all([store.delete('race', 'r1', created.etag), other.delete('race', 'r1', created.etag)]);
        assert.deepEqual(results.sort(), [false, true]);
      });
    });

    describe('readiness and closing', function () {
      it('when the store is usable, then check resolves', async function () {
        await store.check();
      });

      it('when the store is closed, then calls reject with StorageUnavailableError and close again is harmless', async function () {
        assert.ok((await store.create('pending', 'r1', { step: 1 })).ok);
        await store.close();
        await assert.rejects(store.get('pending', 'r1'), StorageUnavailableError);
        await assert.rejects(store.create('pending', 'r2', { step: 1 }), StorageUnavailableError);
        await assert.rejects(store.check(), StorageUnavailableError);
        await store.close();
      });
    });
  });
}
