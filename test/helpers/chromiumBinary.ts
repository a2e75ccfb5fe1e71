/**
 * Which Chromium the browser test drives, in this order: CHROMIUM_PATH; a system chromium
 * (/usr/bin/chromium or `chromium` on PATH); else the one the devDependency @sparticuz/chromium
 * ships inside its npm package, so `npm ci && npm test` needs no browser installed and no root.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BundledChromium } from './extractBundledChromium';

export interface ChromiumBinary {
  readonly executablePath: string;
  /** Where it came from, for error messages. */
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  /** Environment for the browser process. */
  readonly env: NodeJS.ProcessEnv;
}

const ROOT = path.resolve(__dirname, '..', '..');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What `command -v chromium` finds, without a shell. */
function systemChromium(): string | undefined {
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'chromium'));
  return ['/usr/bin/chromium', ...onPath].find(isExecutable);
}

/**
 * Extracts @sparticuz/chromium into a folder of this test run's own (inside scripts/test.ts's run
 * folder when there is one; removed when the process exits), so two runs on one machine never
 * share, or half-read, one extracted browser.
 */
async function extractBundledChromium(): Promise<ChromiumBinary> {
  const dir = mkdtempSync(path.join(process.env.REVOKER_TEST_RUN_DIR || tmpdir(), 'revoker-bundled-chromium-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const script = path.join(__dirname, 'extractBundledChromium.ts');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: dir },
    }));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`Could not extract the Chromium of @sparticuz/chromium (a devDependency: run npm ci) into ${dir}:\n${stderr}`);
  }
  const bundled = JSON.parse(stdout) as BundledChromium;
  const libraryPath = [bundled.libraryDir, process.env.LD_LIBRARY_PATH].filter((p) => p !== undefined && p !== '').join(path.delimiter);
  return { executablePath: bundled.executablePath, source: '@sparticuz/chromium', env: { ...process.env, LD_LIBRARY_PATH: libraryPath } };
}

let found: Promise<ChromiumBinary> | undefined;

/** Found once per test process; the bundled browser is extracted at most once. */
export function findChromium(): Promise<ChromiumBinary> {
  found ??= (async (): Promise<ChromiumBinary> => {
    const chosen = process.env.CHROMIUM_PATH;
    if (chosen !== undefined && chosen !== '') {
      if (!isExecutable(chosen))
        throw new Error(`CHROMIUM_PATH is ${chosen}, which is not an executable file. Unset it to use a system or the bundled Chromium.`);
      return { executablePath: chosen, source: 'CHROMIUM_PATH', env: process.env };
    }
    const system = systemChromium();
    if (system) return { executablePath: system, source: 'system', env: process.env };
    return extractBundledChromium();
  })();
  return found;
}
