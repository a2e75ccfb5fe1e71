/**
 * Hostile bodies at the HTTP edge, before anyone is authenticated, against the bot as a real
 * process (`node .`, the compiled build): its memory is its own to measure (/proc), and its
 * TMPDIR points at a folder this test watches.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EmulatedCloud } from '../../emulator/cloud';
import { READY_FRESH_FOR_MS } from '../../src/http/readiness';
import { startChildBot, type ChildBot } from '../helpers/childBot';
import { freePort, startE2E, type E2E } from '../helpers/e2e';
import { sendForCard, textOf } from '../helpers/flows';
import { testTls } from '../helpers/tls';

interface Answer {
  readonly status: number;
  readonly body: string;
  /** The request body was not all sent: the server answered and closed first. */
  readonly cutShort: boolean;
}

/**
 * Posts to the bot with node:http, which shows what a hostile client sees: the answer, even
 * when the server answers before the body is all sent and then closes the connection.
 * `body` as an array is sent chunked (no Content-Length). A forged bearer token is sent unless told
 * otherwise: the checks under test come before authentication.
 */
/** A bearer token that looks the part: the checks under test come before it is verified. */
const FORGED_BEARER = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl';

function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
  authorization: string | null = FORGED_BEARER,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let cutShort = false;
    const request = http.request(
      url,
      { method: 'POST', headers: authorization === null ? headers : { authorization, ...headers }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const done = (): void => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), cutShort });
        response.once('end', done).once('error', done).once('aborted', done);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      // After the answer, a reset only means the server stopped reading: expected here.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') cutShort = true;
      else reject(error);
    });
    let answered = false;
    request.once('response', () => (answered = true));
    request.once('close', () => {
      if (!answered) reject(new Error(`no answer (cut short: ${String(cutShort)})`));
    });
    const write = async (): Promise<void> => {
      for (const chunk of Array.isArray(body) ? body : [body]) {
        if (request.destroyed) return;
        if (!request.write(chunk)) await drained(request);
      }
      request.end();
    };
    void write();
  });
}

/** Resolves when `stream` can take more, or is closed. */
function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.once('drain', done).once('close', done);
  });
}

/** Peak and current resident memory of a Linux process, in bytes. */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { peak: kB('VmHWM'), now: kB('VmRSS') };
}

/** Starts measuring a process's peak memory from now (Linux: writing 5 to clear_refs resets VmHWM). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const MB = 1024 * 1024;

describe('the HTTP edge does bounded work before authentication, end to end', function () {
  this.timeout(120_000);
  let cloud: EmulatedCloud;
  let root: string;
  let botTmp: string;
  let bot: ChildBot;
  let messages: string;

  before(async function () {
    const { ca } = await testTls();
    cloud = await EmulatedCloud.start({ ca, botAppId: '3f1e2d4c-5b6a-4978-8a9b-ed9e00000001' });
    root = mkdtempSync(path.join(tmpdir(), 'revoker-edge-'));
    botTmp = mkdtempSync(path.join(root, 'tmp-'));
    const caFile = cloud.writeCaFile(path.join(root, 'emulator-ca.pem'));
    bot = await startChildBot(cloud, {
      port: await freePort(),
      caFile,
      env: { DATA_DIR: path.join(root, 'data'), TMPDIR: botTmp, LOG_LEVEL: 'info' },
    });
    cloud.teams.botEndpoint = messages = `${bot.url}/api/messages`;
    // A first turn: the process has loaded everything a turn needs before anything is measured.
    const uma = cloud.directory.user('uma');
    await sendForCard(cloud.teams, uma, cloud.teams.personalChat(uma), 'revoke adele@contoso.onmicrosoft.com');
  });

  after(async function () {
    await bot?.kill();
    await cloud?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('gzip bomb: when a 64 kB gzip body that inflates to 50 MB is posted, then it is refused unread and the process grows by less than 20 MB', async function () {
    const activity = Buffer.from(JSON.stringify({ type: 'message', text: 'a'.repeat(50 * MB) }));
    const bomb = gzipSync(activity, { level: 9 });
    assert.ok(bomb.length < 256 * 1024, `${bomb.length} bytes compressed: under the body limit, as an attacker would send it`);
    const pid = bot.child.pid!;
    const before = memoryOf(pid);
    resetPeak(pid);
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i += 1) {
      answers.push(
        await post(
          messages,
          { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) },
          bomb,
        ),
      );
    }
    // As some clients send it: gzip in a chunked body, and the coding named in capitals.
    answers.push(
      await post(messages, { 'content-type': 'application/json', 'content-encoding': 'GZIP' }, [
        bomb.subarray(0, 1000),
        bomb.subarray(1000),
      ]),
    );
    const grown = memoryOf(pid).peak - before.now;
    assert.ok(grown < 20 * MB, `the bot's resident memory peaked ${(grown / MB).toFixed(1)} MB above where it was`);
    for (const answer of answers) {
      assert.equal(answer.status, 415, answer.body);
      assert.match(answer.body, /Content-Encoding is not accepted: send the body uncompressed/);
    }
  });

  it('anonymous flood: when no bearer token comes, then the answer is 401 before any of the body is read, whatever its size or type', async function () {
    const pid = bot.child.pid!;
    const before = memoryOf(pid);
    resetPeak(pid);
    for (const authorization of [null, '', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(3 * MB) };
      const answer = await post(messages, headers, Buffer.alloc(3 * MB, 0x20), authorization);
      assert.equal(answer.status, 401, `${String(authorization)}: ${answer.body}`);
    }
    assert.ok(memoryOf(pid).peak - before.now < 20 * MB, 'nothing was buffered');
  });

  it('uploads left on disk: when a 3 MB multipart body is posted, then it is refused and nothing is written to TMPDIR', async function () {
    const boundary = '----revoker-edge-test';
    const part = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.alloc(3 * MB, 0x41),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const before = filesUnder(botTmp);
    const answer = await post(
      messages,
      { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(part.length) },
      part,
    );
    assert.equal(answer.status, 415, answer.body);
    assert.match(answer.body, /Content-Type must be application\/json/);
    assert.deepEqual(filesUnder(botTmp), before, 'no new file in the bot’s TMPDIR');
  });

  it('parsing before authentication: when CSV, form or text bodies are posted, then each is refused by its type, unread', async function () {
    for (const [type, body] of [
      ['text/csv', 'a,b\n1,2\n'],
      ['application/x-www-form-urlencoded', 'type=message&text=hello'],
      ['text/plain', '{"type":"message"}'],
      ['application/json; charset=iso-8859-1', '{"type":"message"}'],
      ['application/jsonp', '{"type":"message"}'],
    ] as const) {
      const answer = await post(messages, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) }, Buffer.from(body));
      assert.equal(answer.status, 415, `${type}: ${answer.body}`);
    }
    const none = await post(messages, { 'content-length': '2' }, Buffer.from('{}'));
    assert.equal(none.status, 415, 'no Content-Type at all');
  });

  it('oversized body: when Content-Length announces more than the limit, then 413 comes before the body is read', async function () {
    // A bot that waited for the body would never answer.
    this.timeout(20_000);
    // Only 1 kB of the announced 100 MB is ever sent: the answer cannot have waited for the rest.
    const answer = await new Promise<Answer>((resolve, reject) => {
      const request = http.request(
        messages,
        {
          method: 'POST',
          agent: false,
          headers: { authorization: FORGED_BEARER, 'content-type': 'application/json', 'content-length': String(100 * MB) },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.once('end', () => {
            request.destroy();
            resolve({ status: response.statusCode ?? 0, body, cutShort: true });
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
      request.write(Buffer.alloc(1024, 0x20));
    });
    assert.equal(answer.status, 413, answer.body);
    assert.match(answer.body, /too large/);
  });

  it('chunked oversize: when a chunked body with no Content-Length goes on past the limit, then it is answered 413 and the bot stops reading', async function () {
    // A raw client that answers nothing and keeps sending 64 MB until the bot closes on it.
    const total = 64 * MB;
    const { port } = new URL(messages);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent = 0;
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      `POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${FORGED_BEARER}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(64 * 1024, 0x20), Buffer.from('\r\n')]);
    socket.write('1a\r\n{"type":"message","text":"\r\n');
    while (sent < total && !socket.destroyed) {
      sent += 64 * 1024;
      if (!socket.write(chunk)) await drained(socket);
    }
    if (!socket.destroyed) socket.end('0\r\n\r\n');
    await closed;
    assert.match(answer, /^HTTP\/1\.1 413 /, answer);
    assert.match(answer, /too large/);
    assert.ok(sent < total / 4, `the bot let ${(sent / MB).toFixed(1)} MB of the 64 MB be sent before closing the connection`);
  });

  it('when all that is over, then the bot is healthy and a normal turn still works', async function () {
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
    const helen = cloud.directory.user('helen');
    const card = await sendForCard(cloud.teams, helen, cloud.teams.personalChat(helen), 'revoke alex@contoso.onmicrosoft.com');
    assert.match(textOf(card.card), /Revoke sessions/);
    assert.doesNotMatch(bot.output(), /"level":(50|60)/, 'no error was logged');
  });
});

describe('readiness probes do not write to storage on every call, end to end', function () {
  this.timeout(30_000);
  let e2e: E2E;
  let checks = 0;

  before(async function () {
    e2e = await startE2E({
      wrapStorage: (storage) => ({
        ...storage,
        state: new Proxy(storage.state, {
          get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            if (property !== 'check' || typeof value !== 'function')
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
            return () => {
              checks += 1;
              return (value as () => Promise<void>).call(target);
            };
          },
        }),
      }),
    });
  });

  after(async function () {
    await e2e?.stop();
  });

  it('readyz flood: when 200 unauthenticated probes arrive at once and one after another, then storage takes one readiness write and every probe is answered ready', async function () {
    const probe = async (): Promise<number> => (await fetch(`${e2e.bot.url}/readyz`)).status;
    const startedAt = performance.now();
    const statuses = await Promise.all(Array.from({ length: 100 }, probe));
    for (let i = 0; i < 100; i += 1) statuses.push(await probe());
    assert.deepEqual(new Set(statuses), new Set([200]));
    // One write per window the probes spanned (one, unless this machine took seconds over them).
    const windows = 1 + Math.floor((performance.now() - startedAt) / READY_FRESH_FOR_MS);
    assert.ok(checks >= 1 && checks <= windows, `${checks} readiness writes for 200 probes over ${windows} window(s)`);
  });
});
