/**
 * A process that hosts the emulated cloud and also talks to it over HTTPS (the demo host's
 * sign-in relay, the benchmarks) must trust the emulator's throwaway CA. Node reads
 * NODE_EXTRA_CA_CERTS only at start-up, so such a process makes the CA first and runs itself
 * again trusting it (scripts/test.ts does the same for mocha). The user's own
 * NODE_EXTRA_CA_CERTS, if any, stays trusted too.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCertificateAuthority, type PemPair } from './tls';

const CERT_ENV = 'OWN_EMULATOR_CA_CERT_FILE';
const KEY_ENV = 'OWN_EMULATOR_CA_KEY_FILE';

/** The CA this process already trusts, and its file (for child processes): in the re-run; undefined in the first run. */
export function trustedOwnCa(): { ca: PemPair; certFile: string } | undefined {
  const certFile = process.env[CERT_ENV];
  const keyFile = process.env[KEY_ENV];
  if (!certFile || !keyFile || !process.env.NODE_EXTRA_CA_CERTS || !existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { ca: { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') }, certFile };
}

/**
 * Makes the CA, writes it under stateDir and runs this same command again trusting it; resolves
 * with the re-run's exit code. Signals are passed on so Ctrl-C stops the re-run cleanly.
 */
export async function rerunTrustingNewCa(stateDir: string, name: string): Promise<number> {
  const ca = await createCertificateAuthority(`Session Revoker ${name} CA`);
  const certFile = path.join(stateDir, 'emulator-ca.pem');
  const keyFile = path.join(stateDir, 'emulator-ca-key.pem');
  const bundleFile = path.join(stateDir, 'trusted-cas.pem');
  writeFileSync(certFile, ca.certPem);
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  const existing =
    process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS)
      ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8')
      : '';
  writeFileSync(bundleFile, `${existing}\n${ca.certPem}`);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: bundleFile, [CERT_ENV]: certFile, [KEY_ENV]: keyFile },
  });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
