/**
 * `npm run doctor [-- --dotenv path] [--manifest path]`: reads .env (the environment wins) and
 * checks the deployment. Exit code 0 when every check passes, 1 otherwise.
 */
import path from 'node:path';
import { environmentWithDotEnv } from '../appPackage/envFile';
import { formatReport, runDoctor } from './doctor';

const ROOT = path.join(__dirname, '..', '..');

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<number> {
  const envFile = path.resolve(argument('--dotenv') ?? path.join(ROOT, '.env'));
  const { env, loadedFrom } = environmentWithDotEnv(process.env, envFile);
  const manifestPath = path.resolve(argument('--manifest') ?? path.join(ROOT, 'build', 'appPackage', 'manifest.json'));
  console.log(
    `Session Revoker doctor — settings from ${loadedFrom ? `${loadedFrom} and ` : ''}the environment; app package ${manifestPath}`,
  );
  const report = await runDoctor({ env, manifestPath });
  console.log(formatReport(report));
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The doctor itself failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
