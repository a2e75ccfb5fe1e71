/** The CA that scripts/test.ts made for this run, and server certificates issued by it. */
import { readFileSync } from 'node:fs';
import { issueServerCertificate, type PemPair } from '../../emulator/tls';

let cached: Promise<{ ca: PemPair; server: PemPair }> | undefined;

/** The run's CA (trusted by this process through NODE_EXTRA_CA_CERTS) and one server certificate for 127.0.0.1. */
export function testTls(): Promise<{ ca: PemPair; server: PemPair }> {
  cached ??= (async () => {
    const certFile = process.env.EMULATOR_CA_CERT_FILE;
    const keyFile = process.env.EMULATOR_CA_KEY_FILE;
    if (!certFile || !keyFile) throw new Error('Run the tests with `npm test` (scripts/test.ts makes the CA this process trusts).');
    const ca = { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
    return { ca, server: await issueServerCertificate(ca) };
  })();
  return cached;
}
