/**
 * The browser demo as a newcomer runs it: `npm start`'s entry point as a process (emulated cloud,
 * bot, demo relay, Microsoft 365 Agents Playground), driven by headless Chromium through
 * playwright-core (which Chromium: chromiumBinary.ts). Screenshots of each card go to test-output/screenshots/.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { findChromium } from './chromiumBinary';
import { freePort } from './e2e';

const ROOT = path.resolve(__dirname, '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots');

export interface RunningDemo {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `npm start`'s demo (demo/main.ts; the bot is built already) without MicrosoftAppId and without a terminal: the browser demo. */
export async function startDemo(args: readonly string[] = []): Promise<RunningDemo> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'revoker-browser-demo-'));
  const [botPort, playgroundPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && name !== 'CI' && name !== 'MicrosoftAppId') env[name] = value;
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'demo', 'main.ts'), '--port', String(playgroundPort), ...args],
    { cwd: ROOT, env: { ...env, PORT: String(botPort), DEMO_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => {
      // The demo stops its Playground, bot and cloud on SIGTERM; if it hangs, end its whole process group.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(force);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const until = Date.now() + 90_000;
  for (;;) {
    const url = /In your browser: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url) return { url, output: () => output, stop };
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`the demo did not start the Playground:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Headless chromium with a fresh profile (removed on close). The same flags for every Chromium: the
 * ones @sparticuz/chromium recommends for serverless hosts (single process, web security off) are not
 * needed here and would make the browser behave less like a person's.
 */
export async function launchChromium(): Promise<BrowserContext> {
  const binary = await findChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'revoker-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: binary.executablePath,
      env: binary.env,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(
      `Chromium (${binary.source}, ${binary.executablePath}) did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  context.on('close', () => {
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // chromium may still be writing its profile; it is in the temp folder either way
    }
  });
  return context;
}

/** The Playground page as a person uses it. */
export class PlaygroundPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load' });
    await this.chat('Personal Chat');
  }

  /** Opens a chat or channel from the left rail. */
  async chat(name: string): Promise<void> {
    await this.page.getByText(name, { exact: true }).first().click();
  }

  /** Types a message in the compose box and sends it. */
  async say(text: string): Promise<void> {
    const box = this.page.locator('textarea, [contenteditable="true"]').first();
    await box.click();
    await box.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** The newest Adaptive Card that shows this text. */
  card(text: string | RegExp): Locator {
    return this.page.locator('.ac-adaptiveCard', { hasText: text }).last();
  }

  async waitForCard(text: string | RegExp, timeoutInMs = 20_000): Promise<Locator> {
    const card = this.card(text);
    await card.waitFor({ state: 'visible', timeout: timeoutInMs });
    return card;
  }

  async waitForText(text: string | RegExp, timeoutInMs = 20_000): Promise<void> {
    await this.page.getByText(text).last().waitFor({ state: 'visible', timeout: timeoutInMs });
  }

  /** Saves a screenshot of one card for people to look at. */
  async screenshot(card: Locator, name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${name}.png`);
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: file });
    return file;
  }
}
