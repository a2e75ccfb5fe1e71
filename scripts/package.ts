/**
 * `npm run package [-- --dotenv path]`: writes build/session-revoker.zip (and the filled
 * manifest in build/appPackage/) from appPackage/ and the environment or .env. Exit code 1
 * with one line per problem when a value is missing or the manifest fails the schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildAppPackage } from './appPackage/buildPackage';
import { environmentWithDotEnv } from '../src/appPackage/envFile';

const ROOT = path.join(__dirname, '..');

async function main(): Promise<number> {
  const flag = process.argv.indexOf('--dotenv');
  const envFile = path.resolve(flag >= 0 ? (process.argv[flag + 1] ?? '.env') : path.join(ROOT, '.env'));
  const { env, loadedFrom } = environmentWithDotEnv(process.env, envFile);
  if (loadedFrom)
    console.log(`Reading ${path.relative(process.cwd(), loadedFrom) || loadedFrom} (the environment wins where both set a value).`);
  const packageVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const result = await buildAppPackage({ env, sourceDir: path.join(ROOT, 'appPackage'), outDir: path.join(ROOT, 'build'), packageVersion });
  if (!result.ok) {
    console.error(`The app package was not written (${result.stage}):`);
    for (const problem of result.problems) console.error(`  ✗ ${problem}`);
    if (result.stage === 'variables')
      console.error('Set these in .env or the environment; .env.example lists them under "Teams app package".');
    return 1;
  }
  console.log(
    `✓ manifest valid against the Teams ${String(result.manifest.manifestVersion)} schema: ${path.relative(ROOT, result.manifestPath)}`,
  );
  console.log(
    `✓ package: ${path.relative(ROOT, result.zipPath)} — upload it in Teams admin center → Teams apps → Manage apps → Upload new app.`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
