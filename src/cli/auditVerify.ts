/**
 * `npm run audit:verify -- [--anchor <seq>:<hash>]`
 *
 * Walks the audit trail's hash chain in the configured store (STORAGE, DATA_DIR or
 * AZURE_STORAGE_*: the same variables as the bot; no bot credentials needed), oldest record
 * first, and reports the first record where it breaks: changed, removed, inserted or reordered
 * records, index columns or blob metadata that disagree with the record, and on SQLite an
 * append-only trigger that was removed. It writes nothing to the trail.
 *
 * The chain alone cannot show records cut from the end: keep the last line of a run (seq and hash)
 * where the bot cannot write, and pass it as `--anchor` next time.
 *
 * Exit codes: 0 the trail verifies; 1 it does not (the first break is printed); 2 it could not be
 * verified (usage, configuration, store unreachable).
 */
import { existsSync } from 'node:fs';
import { systemClock } from '../domain/clock';
import { verifyChain, type AuditChainSource, type ChainAnchor } from '../storage/auditChain';
import { databaseFilePath } from '../storage/openDatabase';
import { openStorage } from '../storage/openStorage';
import { argumentsAndStorage } from './commandLine';

const USAGE = 'usage: npm run audit:verify -- [--anchor <seq>:<hash>]   (exit 0: intact, 1: broken, 2: could not verify)';

export interface VerifyArguments {
  readonly anchor?: ChainAnchor;
}

/** Parses the command line; a string is the problem to print. */
export function parseVerifyArguments(argv: readonly string[]): VerifyArguments | string {
  let anchor: ChainAnchor | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return USAGE;
    if (flag !== '--anchor') return `Unknown option ${flag ?? ''}. ${USAGE}`;
    const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(argv[i + 1] ?? '');
    if (!match) return `--anchor needs <seq>:<64 hex digits>, as printed by an earlier run. ${USAGE}`;
    anchor = { seq: Number(match[1]), hash: match[2] ?? '' };
    i += 1;
  }
  // Typed on its own, so that `anchor` is not read as the union's String.prototype.anchor (deprecated).
  const parsed: VerifyArguments = { anchor };
  return parsed;
}

/** What to print, and the exit code, for the trail in `chain`. */
export async function verifyReport(chain: AuditChainSource, anchor?: ChainAnchor): Promise<{ code: 0 | 1; lines: string[] }> {
  const guards = await chain.guardProblems();
  const verdict = await verifyChain(chain.stored(), anchor);
  const lines = (await chain.notes()).map((note) => `Note: ${note}`);
  lines.push(...guards.map((problem) => `Guard broken: ${problem}.`));
  if (!verdict.intact) {
    const { seq, problem } = verdict.firstBreak;
    const before = verdict.checked > 1 ? ` Records 1–${verdict.checked} verify.` : verdict.checked === 1 ? ' Record 1 verifies.' : '';
    lines.push(`Audit trail broken at seq ${seq}: ${problem}.${before}`);
    return { code: 1, lines };
  }
  if (verdict.records === 0) lines.push('The audit trail is empty.');
  else {
    lines.push(
      `Audit trail intact: ${verdict.records} record${verdict.records === 1 ? '' : 's'}, seq 1–${verdict.lastSeq}${anchor ? `, including your anchor at seq ${anchor.seq}` : ''}.`,
    );
    lines.push(
      `Keep this where the bot cannot write, and pass it next time to detect records cut from the end: --anchor ${verdict.lastSeq}:${verdict.lastHash}`,
    );
  }
  return { code: guards.length > 0 ? 1 : 0, lines };
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const ready = argumentsAndStorage(parseVerifyArguments(argv), env);
  if (!ready) return 2;
  const { args, settings } = ready;
  if (settings.kind === 'sqlite' && !existsSync(databaseFilePath(settings.dataDir))) {
    console.error(`No audit trail to verify: ${databaseFilePath(settings.dataDir)} does not exist (is DATA_DIR right?).`);
    return 2;
  }
  // A command line is its own composition root: the machine's clock.
  const storage = await openStorage(settings, systemClock);
  try {
    const report = await verifyReport(storage.chain, args.anchor);
    for (const line of report.lines) console.log(line);
    return report.code;
  } finally {
    await storage.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('audit verify could not read the trail:', error instanceof Error ? error.message : String(error));
      process.exitCode = 2;
    },
  );
}
