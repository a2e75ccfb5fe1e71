/**
 * The suite-wide secret scan: a collector of everything the bots under test produced (log
 * lines, every activity they sent to the emulated connector, every answer they gave the
 * channel, the files in their data directories, child processes' output) and a scanner that
 * finds credentials in it: full JWTs, the signature of any token the emulated cloud signed,
 * Entra-shaped refresh tokens, and known secrets (the bot's client secret). Findings name
 * where and what, never the secret itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { onTokenSigned } from '../../emulator/signingKeys';

/** A header.payload.signature JWT (JWS compact form; "eyJ" is base64url for '{"'). */
const FULL_JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g;
/** Entra's refresh tokens (and the emulator's) start "0.A". */
const REFRESH_TOKEN = /(?<![A-Za-z0-9_.-])0\.A[A-Za-z0-9_-]{40,}/g;
/** Runs of base64url long enough to be an RS256 signature (342 characters for 2048-bit keys; 43 is SHA-256's). */
const LONG_RUN = /[A-Za-z0-9_-]{43,}/g;

export type SecretKind = 'jwt' | 'issued_token_signature' | 'refresh_token' | 'known_secret';

export interface ProducedItem {
  /** What sort of output (for the coverage check): 'bot log', 'connector', 'bot answer', 'data dir', 'process output'. */
  readonly kind?: string;
  /** Where it came from, e.g. "bot log (e2e #3)", "connector send", "data dir revoker.sqlite". */
  readonly source: string;
  readonly text: string;
}

export interface Finding {
  readonly source: string;
  readonly kind: SecretKind;
  /** Character offset in the item's text. */
  readonly at: number;
  /** The surroundings with the secret itself replaced, for a readable report. */
  readonly context: string;
}

export interface KnownSecrets {
  /** Signatures (third segments) of every token the emulated cloud signed. */
  readonly signatures: ReadonlySet<string>;
  /** Literal secrets: client secrets, passwords. */
  readonly literals: readonly string[];
}

function contextAround(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - 40), at);
  const after = text.slice(at + length, at + length + 40);
  // Neighbouring base64url runs may be the rest of the same token: shorten them too.
  const tidy = (part: string): string => part.replace(/[A-Za-z0-9_-]{20,}/g, '…').replace(/[\r\n]+/g, ' ');
  return `${tidy(before)}[…${length} characters…]${tidy(after)}`;
}

/** Every credential in the items; empty when they are clean. */
export function scanForSecrets(items: Iterable<ProducedItem>, known: KnownSecrets): Finding[] {
  const findings: Finding[] = [];
  const literals = known.literals.filter((s) => s.length >= 8);
  let longestSignature = 0;
  for (const signature of known.signatures) longestSignature = Math.max(longestSignature, signature.length);
  for (const { source, text } of items) {
    const add = (kind: SecretKind, at: number, length: number): void =>
      void findings.push({ source, kind, at, context: contextAround(text, at, length) });
    for (const m of text.matchAll(FULL_JWT)) add('jwt', m.index, m[0].length);
    for (const m of text.matchAll(REFRESH_TOKEN)) add('refresh_token', m.index, m[0].length);
    if (known.signatures.size > 0) {
      for (const m of text.matchAll(LONG_RUN)) {
        const run = m[0];
        if (known.signatures.has(run)) add('issued_token_signature', m.index, run.length);
        else if (run.length > longestSignature) {
          // A signature glued to other base64url characters.
          for (const signature of known.signatures) {
            const inside = run.indexOf(signature);
            if (inside >= 0) add('issued_token_signature', m.index + inside, signature.length);
          }
        }
      }
    }
    for (const secret of literals) {
      for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + secret.length)) add('known_secret', at, secret.length);
    }
  }
  return findings;
}

/** The run-wide collector. Sources are read when the scan runs, so late log lines count too. */
export class ProducedOutput {
  private readonly items: ProducedItem[] = [];
  private readonly live: { readonly kind: string; readonly source: string; readonly read: () => Iterable<string> }[] = [];
  private readonly signatures = new Set<string>();
  private readonly literals = new Set<string>();
  private readonly kinds = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  /** Starts remembering the signature of every token the emulated cloud signs. */
  start(): void {
    this.unsubscribe ??= onTokenSigned((token) => {
      const signature = token.slice(token.lastIndexOf('.') + 1);
      if (signature.length >= 43) this.signatures.add(signature);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Something produced now. `kind` groups sources for the coverage check (e.g. 'bot log'). */
  add(kind: string, source: string, text: string): void {
    this.count(kind);
    this.items.push({ kind, source, text });
  }

  /** Something that keeps growing (a log array): read at scan time. */
  watch(kind: string, source: string, read: () => Iterable<string>): void {
    this.count(kind);
    this.live.push({ kind, source, read });
  }

  /** Every file under `dir` (as latin1, so binary database pages are searchable too). */
  addDirectory(kind: string, dir: string): void {
    for (const file of listFiles(dir)) this.add(kind, `${kind} ${path.relative(dir, file)}`, readFileSync(file, 'latin1'));
  }

  /** A literal secret that must never appear (e.g. the bot's client secret). */
  addSecret(secret: string): void {
    this.literals.add(secret);
  }

  /** How many sources of each kind were collected. */
  get coverage(): ReadonlyMap<string, number> {
    return this.kinds;
  }

  get signatureCount(): number {
    return this.signatures.size;
  }

  /** Everything collected, as one sequence of items. */
  *all(): Generator<ProducedItem> {
    yield* this.items;
    for (const { kind, source, read } of this.live) yield { kind, source, text: [...read()].join('\n') };
  }

  scan(): Finding[] {
    return scanForSecrets(this.all(), { signatures: this.signatures, literals: [...this.literals] });
  }

  private count(kind: string): void {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
  }
}

function listFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    try {
      return statSync(full).isDirectory() ? listFiles(full) : [full];
    } catch {
      return [];
    }
  });
}

/** The collector for this test run (the root hook plugin scans it after the last test). */
export const produced = new ProducedOutput();
