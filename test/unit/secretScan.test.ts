import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SigningKeySet } from '../../emulator/signingKeys';
import { maskSecrets } from '../../src/observability/logger';
import { ProducedOutput, scanForSecrets } from '../helpers/secretScan';

describe('the suite-wide secret scan', function () {
  let keys: SigningKeySet;
  let output: ProducedOutput;
  let dir: string;

  before(async function () {
    keys = await SigningKeySet.create();
  });

  beforeEach(function () {
    output = new ProducedOutput();
    output.start();
    dir = mkdtempSync(path.join(tmpdir(), 'secret-scan-'));
  });

  afterEach(function () {
    output.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function issued(): Promise<string> {
    return keys.sign({ sub: 'someone', aud: 'api://botid-x', exp: Math.floor(Date.now() / 1000) + 3600 });
  }

  it('when a token the emulated cloud issued is planted in a log line, then the scan finds it as a JWT and as an issued token', async function () {
    const token = await issued();
    output.add('bot log', 'bot log (planted)', `{"level":"info","msg":"calling Graph","auth":"${token}"}`);
    const kinds = output
      .scan()
      .map((f) => f.kind)
      .sort();
    assert.deepEqual(kinds, ['issued_token_signature', 'jwt']);
  });

  it('when only the signature of an issued token is planted, glued to other text, then the scan still finds it', async function () {
    const signature = (await issued()).split('.')[2]!;
    output.add('connector', 'card', `{"text":"ref ${signature}"}`);
    output.add('bot answer', 'answer', `x${signature}abc`);
    assert.deepEqual(
      output.scan().map((f) => [f.source, f.kind]),
      [
        ['card', 'issued_token_signature'],
        ['answer', 'issued_token_signature'],
      ],
    );
  });

  it('when a token is planted in a data file between binary bytes, then the scan of the directory finds it', async function () {
    const token = await issued();
    writeFileSync(
      path.join(dir, 'revoker.sqlite'),
      Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.from(token), Buffer.from([0, 13, 10])]),
    );
    output.addDirectory('data dir', dir);
    assert.ok(output.scan().some((f) => f.kind === 'issued_token_signature' && f.source === 'data dir revoker.sqlite'));
  });

  it('when a live source (a log array) gets a token after it was registered, then the scan sees it', async function () {
    const lines: string[] = ['{"msg":"start"}'];
    output.watch('bot log', 'bot log (live)', () => lines);
    lines.push(`{"msg":"oops","t":"${await issued()}"}`);
    assert.ok(output.scan().some((f) => f.source === 'bot log (live)'));
  });

  it('when the bot secret or a refresh token is planted, then the scan finds them', function () {
    output.addSecret('emulated-demo-secret-not-for-production');
    output.add('bot log', 'log', 'password=emulated-demo-secret-not-for-production');
    output.add('bot log', 'log 2', `{"refresh":"0.A${'b'.repeat(64)}"}`);
    assert.deepEqual(
      output
        .scan()
        .map((f) => f.kind)
        .sort(),
      ['known_secret', 'refresh_token'],
    );
  });

  it('when a JWT from elsewhere (not issued here) appears, then it is still found by its shape', function () {
    const foreign = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.${'A'.repeat(60)}`;
    assert.deepEqual(
      scanForSecrets([{ source: 's', text: `token ${foreign}` }], { signatures: new Set(), literals: [] }).map((f) => f.kind),
      ['jwt'],
    );
  });

  it('when the output is clean — masked tokens, ids, cards — then there is nothing to report', async function () {
    const token = await issued();
    output.add('bot log', 'log', maskSecrets(`{"msg":"token ${token}","authorization":"Bearer ${token}"}`));
    output.add(
      'connector',
      'card',
      '{"requestId":"6e7b768e-07e2-4810-8459-485f84f8f204","text":"Graph request id: 1f0c…","kid":"abcdef0123456789abcdef0123456789"}',
    );
    assert.deepEqual(output.scan(), []);
  });

  it('a finding shows where the secret was, never the secret itself', async function () {
    const token = await issued();
    output.add('bot log', 'log', `before ${token} after`);
    for (const finding of output.scan()) {
      for (const part of token.split('.')) assert.ok(!finding.context.includes(part.slice(0, 20)), finding.context);
      assert.match(finding.context, /\[…\d+ characters…\] after$/);
    }
  });

  it('when the scan stops listening, then tokens signed later are not added', async function () {
    output.stop();
    await issued();
    assert.equal(output.signatureCount, 0);
  });
});
