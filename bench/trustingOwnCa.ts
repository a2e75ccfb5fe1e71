/**
 * How each benchmark starts: Node reads NODE_EXTRA_CA_CERTS only at start-up, so a run that does
 * not trust the emulated cloud's CA yet makes one and runs itself again trusting it (as
 * scripts/test.ts does). Exits 1 on an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rerunTrustingNewCa, trustedOwnCa } from '../emulator/selfTrust';
import type { PemPair } from '../emulator/tls';

export function startTrustingOwnCa(run: (caFile: string, ca: PemPair) => Promise<void>): void {
  const main = async (): Promise<void> => {
    const trusted = trustedOwnCa();
    if (trusted) return run(trusted.certFile, trusted.ca);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'revoker-bench-ca-'));
    try {
      process.exitCode = await rerunTrustingNewCa(dir, 'bench');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
