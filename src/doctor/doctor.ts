/**
 * `npm run doctor`: checks a deployment's configuration the way an admin would, one line per
 * check with the fix for each failure, and names every Graph permission the bot asks for, what it
 * is for and what a tenant without consent for it loses. Runs the checks the configuration
 * allows; any failure makes the run fail.
 */
import { DEFAULT_SCOPES, readConfig, type ScopeSetName } from '../config/config';
import { openStorage } from '../storage/openStorage';
import { systemClock } from '../domain/clock';
import {
  checkAlerts,
  checkBotToken,
  checkEntraMetadata,
  checkGraph,
  checkManifest,
  checkSecurityChannel,
  type CheckContext,
  type CheckResult,
} from './checks';
import { checkGraphPermissions, permissionCheckName } from './graphPermissions';

export interface DoctorOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The uploaded manifest: manifest.json or the package zip. */
  readonly manifestPath: string;
  /** Per network call. Default 15 s. */
  readonly timeoutInMs?: number;
}

export interface DoctorReport {
  readonly results: readonly CheckResult[];
  readonly ok: boolean;
}

const LATER_CHECKS = [
  ...(Object.keys(DEFAULT_SCOPES) as ScopeSetName[]).map(permissionCheckName),
  'Entra ID metadata',
  "Bot's own token (client credentials)",
  'App package matches the bot',
  'Microsoft Graph reachable',
  'Security channel',
  'Alerts (POST /api/alerts)',
];

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const results: CheckResult[] = [];
  const read = readConfig(options.env);
  if (!read.ok) {
    for (const problem of read.problems) {
      results.push({
        name: 'Configuration',
        status: 'fail',
        detail: problem,
        fix: 'Set it in .env or the host’s app settings; .env.example explains every variable.',
      });
    }
    for (const name of LATER_CHECKS) results.push({ name, status: 'skip', detail: 'needs a valid configuration first.' });
    return { results, ok: false };
  }
  const config = read.config;
  results.push({
    name: 'Configuration',
    status: 'pass',
    detail: `every variable present and well-formed (app ${config.appId}, tenant ${config.appTenantId}, ${config.appType}).`,
  });
  const context: CheckContext = {
    config,
    manifestPath: options.manifestPath,
    timeoutInMs: options.timeoutInMs ?? 15_000,
    openState: async () => {
      const storage = await openStorage(config.storage, systemClock);
      return { state: storage.state, close: () => storage.close() };
    },
  };
  results.push(...checkGraphPermissions(config));
  results.push(await checkEntraMetadata(context));
  results.push(await checkBotToken(context));
  results.push(checkManifest(context));
  results.push(await checkGraph(context));
  results.push(await checkSecurityChannel(context));
  results.push(await checkAlerts(context));
  return { results, ok: results.every((r) => r.status !== 'fail') };
}

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;

/** One line per check, and an indented fix under each failure. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    lines.push(`${MARK[r.status]} ${r.name}: ${r.detail}`);
    if (r.status === 'fail' && r.fix) lines.push(`    fix: ${r.fix}`);
  }
  const failed = report.results.filter((r) => r.status === 'fail').length;
  lines.push(failed === 0 ? 'All checks passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
  return lines.join('\n');
}
