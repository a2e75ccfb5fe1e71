/** The demo's command line: `npm start -- [--approvals] [--as NAME] [--no-playground] [--walkthrough] [--port N]`. */

export interface DemoOptions {
  /** Run with the demo's security channel (SECURITY_CHANNEL_ID): requests need an approver. */
  readonly approvals: boolean;
  /** Who you are at first (a demo directory name, UPN or id). */
  readonly as: string;
  /** Start the Microsoft 365 Agents Playground (the browser demo). */
  readonly playground: boolean;
  readonly playgroundPort?: number;
  /** The terminal client: interactive (a terminal), the scripted walkthrough (CI, --walkthrough), or none. */
  readonly terminal: 'interactive' | 'walkthrough' | 'none';
  readonly help: boolean;
}

export const DEMO_USAGE = [
  'npm start -- [options]   (the local demo; runs only while MicrosoftAppId is unset)',
  '  --approvals        four eyes: the demo security channel receives requests, another person approves',
  '  --as NAME          start as this demo person (default uma; e.g. paul, priya, helen, grace)',
  '  --no-playground    no browser client; the terminal client only',
  "  --port N           the Playground's port (default 56150)",
  '  --walkthrough      play the scripted walkthrough in the terminal and exit (what CI=true does)',
  'In a terminal you get both the browser client and the terminal client; without one, the browser client only.',
].join('\n');

export type ParsedDemoOptions = { ok: true; options: DemoOptions } | { ok: false; problem: string };

/** Reads the demo's flags; where it runs (a terminal, CI) decides the defaults. */
export function parseDemoOptions(argv: readonly string[], where: { isTTY: boolean; ci: boolean }): ParsedDemoOptions {
  let approvals = false;
  let as = 'uma';
  let playground = true;
  let walkthrough = where.ci;
  let help = false;
  let playgroundPort: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--approvals') approvals = true;
    else if (arg === '--no-playground') playground = false;
    else if (arg === '--walkthrough') walkthrough = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--as' || arg === '--port') {
      const value = argv[i + 1];
      if (!value || value.startsWith('--')) return { ok: false, problem: `${arg} needs a value.` };
      i += 1;
      if (arg === '--as') as = value;
      else {
        const port = Number(value);
        if (!Number.isInteger(port) || port <= 0 || port > 65535)
          return { ok: false, problem: `--port must be a port number (got "${value}").` };
        playgroundPort = port;
      }
    } else return { ok: false, problem: `Unknown option ${String(arg)}.` };
  }
  const terminal = walkthrough ? 'walkthrough' : where.isTTY ? 'interactive' : 'none';
  // The walkthrough is the terminal's; it needs no browser.
  if (walkthrough) playground = false;
  return { ok: true, options: { approvals, as, playground, terminal, help, ...(playgroundPort ? { playgroundPort } : {}) } };
}
