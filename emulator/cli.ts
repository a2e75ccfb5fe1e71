/**
 * `npm run emulator`: starts the emulated Microsoft cloud on loopback and prints its endpoints
 * and the environment a bot needs to use it. Runs until Ctrl-C.
 *
 *   npm run emulator -- [--bot http://127.0.0.1:3978/api/messages] [--env-file .emulator/bot.env]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EmulatedCloud } from './cloud';
import { ROLE_NAMES } from './directory';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const botEndpoint = option('--bot') ?? 'http://127.0.0.1:3978/api/messages';
  const dir = path.resolve('.emulator');
  mkdirSync(dir, { recursive: true });
  const cloud = await EmulatedCloud.start({ botEndpoint });
  const caFile = cloud.writeCaFile(path.join(dir, 'ca.pem'));
  const env = { ...cloud.botEnvironment({ PORT: new URL(botEndpoint).port || '3978' }), NODE_EXTRA_CA_CERTS: caFile };
  const envText =
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n';
  const envFile = option('--env-file') ?? path.join(dir, 'bot.env');
  writeFileSync(envFile, envText, { mode: 0o600 });
  console.log('Emulated Microsoft cloud on 127.0.0.1');
  console.log(`  Entra ID (authority host)   ${cloud.entra.authorityHost}   tenant ${cloud.directory.tenantId}`);
  console.log(`  Microsoft Graph             ${cloud.graph.endpoint}/v1.0`);
  console.log(`  Teams channel (serviceUrl)  ${cloud.teams.serviceUrl}   posts activities to ${botEndpoint}`);
  console.log(`  Bot Framework token service ${cloud.tokenService.url}`);
  console.log(`  CA certificate              ${caFile}`);
  console.log(`\nThe bot's environment (also written to ${envFile}):\n`);
  console.log(envText);
  console.log('Start the bot against it (after npm run build):  node --env-file=' + path.relative(process.cwd(), envFile) + ' .');
  console.log('\nDemo directory:');
  for (const u of cloud.directory.users.values()) {
    const roles = u.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ') || '-';
    console.log(`  ${u.displayName.padEnd(24)} ${u.userPrincipalName.padEnd(46)} ${roles}`);
  }
  console.log('\nCtrl-C stops it.');
  const stop = (): void => void cloud.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('The emulator failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
