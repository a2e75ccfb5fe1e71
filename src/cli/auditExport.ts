/**
 * `npm run audit:export -- [--format csv|jsonl] [--since ISO-time] [--tenant id] [--out file]`
 *
 * Exports the audit trail from the configured store (STORAGE, DATA_DIR or AZURE_STORAGE_*: the
 * same variables as the bot; it does not need the bot's credentials), oldest record first, to
 * stdout or a file. The export is itself recorded in the trail (`audit.exported`). Use it for
 * anything larger than the 50 records `audit export` posts in Teams.
 */
import { writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { auditCsv, auditJsonl } from '../app/auditExport';
import type { AuditLog, AuditRecord } from '../app/ports/auditLog';
import type { AuditExportFormat } from '../domain/auditCommand';
import { systemClock } from '../domain/clock';
import { openStorage } from '../storage/openStorage';
import { argumentsAndStorage } from './commandLine';

export interface ExportArguments {
  readonly format: AuditExportFormat;
  readonly since?: string;
  readonly tenantId?: string;
  readonly out?: string;
}

const USAGE = 'usage: npm run audit:export -- [--format csv|jsonl] [--since 2026-01-01T00:00:00Z] [--tenant <tenant id>] [--out <file>]';

/** Parses the command line; a string is the problem to print. */
export function parseExportArguments(argv: readonly string[]): ExportArguments | string {
  let format: AuditExportFormat = 'csv';
  let since: string | undefined;
  let tenantId: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') return USAGE;
    if (value === undefined || value.startsWith('--')) return `${flag ?? ''} needs a value. ${USAGE}`;
    i += 1;
    if (flag === '--format') {
      if (value !== 'csv' && value !== 'jsonl') return `--format must be csv or jsonl. ${USAGE}`;
      format = value;
    } else if (flag === '--since') {
      if (Number.isNaN(Date.parse(value))) return `--since must be an ISO 8601 time. ${USAGE}`;
      since = new Date(value).toISOString();
    } else if (flag === '--tenant') tenantId = value.toLowerCase();
    else if (flag === '--out') out = value;
    else return `Unknown option ${flag ?? ''}. ${USAGE}`;
  }
  return { format, since, tenantId, out };
}

/** Every matching record, oldest first, paging back through the log. */
export async function collectRecords(log: AuditLog, args: Pick<ExportArguments, 'since' | 'tenantId'>): Promise<AuditRecord[]> {
  const newestFirst: AuditRecord[] = [];
  const since = args.since ? Date.parse(args.since) : undefined;
  let before: number | undefined;
  for (;;) {
    const page = await log.list({ limit: 1000, before, ...(args.tenantId ? { tenantId: args.tenantId } : {}) });
    if (page.length === 0) break;
    const kept = since === undefined ? page : page.filter((record) => Date.parse(record.at) >= since);
    newestFirst.push(...kept);
    // Records are appended in time order: a page that ends before `since` ends the search.
    if (since !== undefined && kept.length < page.length) break;
    before = page[page.length - 1]?.seq;
  }
  return newestFirst.reverse();
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const ready = argumentsAndStorage(parseExportArguments(argv), env);
  if (!ready) return 2;
  const { args, settings } = ready;
  // A command line is its own composition root: the machine's clock.
  const clock = systemClock;
  const storage = await openStorage(settings, clock);
  try {
    const records = await collectRecords(storage.audit, args);
    const content = args.format === 'csv' ? auditCsv(records) : auditJsonl(records);
    await storage.audit.append({
      at: clock.now().toISOString(),
      tenantId: args.tenantId ?? env.MicrosoftAppTenantId?.trim().toLowerCase() ?? 'unknown',
      action: 'audit.exported',
      outcome: 'info',
      code: 'cli',
      detail: `exported ${records.length} record${records.length === 1 ? '' : 's'} as ${args.format === 'csv' ? 'CSV' : 'JSON Lines'} with the command line${args.since ? ` since ${args.since}` : ''} (${safeUser()}@${hostname()})`,
    });
    if (args.out) {
      writeFileSync(args.out, content, { mode: 0o600 });
      console.error(`Exported ${records.length} records to ${args.out}.`);
    } else process.stdout.write(content);
    return 0;
  } finally {
    await storage.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('audit export failed:', error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
