/**
 * Extracts the headless Chromium that the npm package @sparticuz/chromium ships (brotli files in its
 * bin/ folder, nothing downloaded) and prints where it went as one line of JSON.
 *
 * The package extracts into os.tmpdir() and reuses whatever it finds there (a shared /tmp/chromium
 * that another run may be half-way through writing). So chromiumBinary.ts runs this as a child
 * process with TMPDIR set to a folder of its own run; this script refuses to report a browser
 * that landed anywhere else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface BundledChromium {
  readonly executablePath: string;
  /** NSS and the other libraries the browser needs, built for the package (Amazon Linux 2023). */
  readonly libraryDir: string;
}

const PACKAGE = '@sparticuz/chromium';

/** The package's own folder (its entry point lies somewhere below it). */
function packageRoot(): string {
  for (let dir = path.dirname(createRequire(__filename).resolve(PACKAGE)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE) return dir;
  }
  throw new Error(`cannot find the folder of ${PACKAGE}`);
}

async function main(): Promise<void> {
  const { default: Chromium, inflate } = await import('@sparticuz/chromium');
  const bin = path.join(packageRoot(), 'bin');
  const executablePath = await Chromium.executablePath(bin);
  const libraryDir = path.join(await inflate(path.join(bin, 'al2023.tar.br')), 'lib');
  const into = tmpdir();
  for (const file of [executablePath, libraryDir]) {
    if (path.relative(into, file).startsWith('..'))
      throw new Error(`@sparticuz/chromium extracted to ${file}, outside this run's folder ${into}`);
  }
  const result: BundledChromium = { executablePath, libraryDir };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
