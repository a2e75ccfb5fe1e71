import assert from 'node:assert/strict';
import { EmulatedServer, json } from '../../emulator/httpServer';
import { testTls } from '../helpers/tls';

describe('emulated HTTPS server', function () {
  let server: EmulatedServer;

  beforeEach(async function () {
    const { server: cert } = await testTls();
    server = new EmulatedServer({ name: 'test', tls: cert });
    server.route('hello', 'GET', '/hello/:name', (req) => {
      req.caller = req.params.name;
      return json(200, { hello: req.params.name });
    });
    await server.listen();
  });

  afterEach(async function () {
    await server.close();
  });

  it('serves HTTPS that this process trusts through NODE_EXTRA_CA_CERTS', async function () {
    const res = await fetch(`${server.baseUrl}/hello/ad%23ele`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { hello: 'ad#ele' });
    assert.equal(server.count('hello', 'ad#ele'), 1);
  });

  it('answers an injected fault for the given number of calls, then the handler again', async function () {
    server.injectFault({ route: 'hello', status: 429, headers: { 'Retry-After': '1' }, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await fetch(`${server.baseUrl}/hello/x`)).status);
    assert.deepEqual(statuses, [429, 429, 200]);
  });

  it('answers 404 for an unknown route and records it', async function () {
    const res = await fetch(`${server.baseUrl}/nope`);
    assert.equal(res.status, 404);
    assert.equal(server.count('unmatched'), 1);
  });
});
