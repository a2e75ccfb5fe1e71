/**
 * `/clock +2h` in the demo: moves time on for the whole demo — the emulated cloud's clock and the
 * bot process's — so a newcomer sees a scheduled revocation's due card arrive without waiting.
 * The bot keeps reading the machine's clock, as in production; the demo runs it under libfaketime
 * (https://github.com/wolfcw/libfaketime) with an offset file this module rewrites, and the
 * cloud's tokens live a week so the moved bot still accepts them (emulator/clock.ts).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { CloudClock } from '../emulator/clock';

/** Where Debian/Ubuntu and Homebrew put libfaketime. */
const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/** The furthest the demo moves on in all: the emulator's server certificates are valid two days from the start. */
const MAX_OFFSET_IN_MS = 36 * 3600_000;

/** How long the demo cloud's tokens live, so a bot moved on by /clock still accepts them. */
export const DEMO_TOKEN_LIFETIME_IN_SECONDS = 7 * 24 * 3600;

export class DemoClock {
  private constructor(
    private readonly cloud: CloudClock,
    private readonly offsetFile: string | undefined,
    private readonly library: string | undefined,
  ) {}

  /** Whether the bot can be moved: libfaketime is installed and the demo itself is not already under faketime. */
  static create(cloud: CloudClock, offsetFile: string, env: Readonly<Record<string, string | undefined>>): DemoClock {
    const library = env.LD_PRELOAD ? undefined : LIBFAKETIME.find((file) => existsSync(file));
    if (library) writeFileSync(offsetFile, '+0\n');
    return new DemoClock(cloud, library ? offsetFile : undefined, library);
  }

  /** What the bot child needs to follow the offset file (none when /clock is not available). */
  botEnvironment(): Record<string, string> {
    if (!this.library || !this.offsetFile) return {};
    return { LD_PRELOAD: this.library, FAKETIME_TIMESTAMP_FILE: this.offsetFile, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' };
  }

  /** Moves the demo on by `ms`; says what happened, in a line for the terminal. */
  advance(ms: number): string {
    if (!this.library || !this.offsetFile)
      return 'The demo cannot move the bot’s clock here: it needs libfaketime (apt-get install faketime) and a demo not already under faketime.';
    if (this.cloud.offset + ms > MAX_OFFSET_IN_MS)
      return 'The demo moves on at most 36 hours in all (its certificates are valid two days); restart the demo to begin again.';
    this.cloud.advance(ms);
    writeFileSync(this.offsetFile, `+${Math.round(this.cloud.offset / 1000)}\n`);
    return `It is now ${this.cloud.now().toISOString().slice(0, 16).replace('T', ' ')} UTC in the demo (moved on by ${Math.round(ms / 60_000)} minutes).`;
  }
}
