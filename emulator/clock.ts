/**
 * The emulated cloud's clock: the machine's, moved on by whatever a test or the demo adds
 * (`/clock +2h`). Graph and the token service read it; a bot given the same clock sees time pass
 * with them. Entra keeps stamping tokens with the machine's time, because every client's token
 * cache (MSAL, botbuilder) reads the machine's clock; a move longer than a token's lifetime needs
 * the cloud started with a longer tokenLifetimeInSeconds.
 */
export class CloudClock {
  private offsetInMs = 0;

  /** Now, as the cloud sees it (satisfies the bot's Clock interface). */
  now(): Date {
    return new Date(this.nowInMs());
  }

  nowInMs(): number {
    return Date.now() + this.offsetInMs;
  }

  /** Moves the cloud's time on (never back: tokens already issued would be from the future). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the cloud clock only moves forward');
    this.offsetInMs += ms;
  }

  /** How far it has been moved, in milliseconds. */
  get offset(): number {
    return this.offsetInMs;
  }
}

/** `+2h`, `+30m`, `+90s`, `+1d` → milliseconds; undefined for anything else. */
export function parseClockStep(text: string): number | undefined {
  const match = /^\+?(\d{1,5})([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
