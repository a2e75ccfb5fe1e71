/**
 * Runs the test suite. Tests that start the bot or an operator command as a process run the
 * compiled build (dist/), so this builds it first (tsc -b src: quick when nothing changed).
 * Node reads NODE_EXTRA_CA_CERTS only at start-up, so this then makes the emulated cloud's
 * throwaway CA and starts mocha trusting it. Arguments are passed to mocha (e.g. a single
 * spec file).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCertificateAuthority } from '../emulator/tls';

const ROOT = path.join(__dirname, '..');

async function main(): Promise<number> {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', path.join(ROOT, 'src')], {
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('npm run build failed: the tests run the compiled bot, so none ran.');
    return 1;
  }
  // This run's own temporary folder (the CA, the browser test's extracted Chromium), removed at the end.
  const dir = mkdtempSync(path.join(tmpdir(), 'revoker-test-run-'));
  try {
    const ca = await createCertificateAuthority('Session Revoker test CA');
    const certFile = path.join(dir, 'ca.pem');
    const keyFile = path.join(dir, 'ca-key.pem');
    writeFileSync(certFile, ca.certPem);
    writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
    const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const args = process.argv.slice(2);
    // Named spec files run alone; otherwise the whole suite.
    const wholeSuite = !args.some((a) => !a.startsWith('-'));
    const specs = wholeSuite ? ['test/**/*.test.ts'] : [];
    const child = spawn(process.execPath, [mocha, ...specs, ...args], {
      stdio: 'inherit',
      // REVOKER_WHOLE_SUITE: the secret scan then also checks it saw every kind of output.
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certFile,
        EMULATOR_CA_CERT_FILE: certFile,
        EMULATOR_CA_KEY_FILE: keyFile,
        REVOKER_WHOLE_SUITE: wholeSuite ? '1' : '',
        REVOKER_TEST_RUN_DIR: dir,
      },
    });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
