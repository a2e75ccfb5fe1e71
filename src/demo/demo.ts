/**
 * The local demo (`npm start` with no MicrosoftAppId): the embedded emulated Microsoft cloud
 * in this process, and the bot as a child process configured exactly as in production — only
 * its environment points at the emulator and trusts the emulator's CA. Then a terminal Teams
 * client (src/demo/terminalTeams.ts) lets you chat with the bot as any demo user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { EmulatedCloud } from '../emulator/cloud';
import { runTerminalTeams } from './terminalTeams';

const ROOT = path.join(__dirname, '..', '..');

async function waitForHealth(url: string, child: ChildProcess, timeoutInMs: number): Promise<void> {
  const until = Date.now() + timeoutInMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the bot exited with code ${child.exitCode}; see .demo/bot.log`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error('the bot did not become healthy in time; see .demo/bot.log');
}

export async function runDemo(): Promise<void> {
  if (process.env.MicrosoftAppId?.trim()) throw new Error('The demo runs only without MicrosoftAppId (it would otherwise sign in demo users against a real tenant).');
  const stateDir = path.join(ROOT, '.demo');
  mkdirSync(stateDir, { recursive: true });
  const port = Number(process.env.PORT ?? 3978);
  console.log('Starting the emulated Microsoft cloud (Entra ID, Graph, Teams) on 127.0.0.1…');
  const cloud = await EmulatedCloud.start({ botEndpoint: `http://127.0.0.1:${port}/api/messages` });
  const caFile = cloud.writeCaFile(path.join(stateDir, 'emulator-ca.pem'));
  const log = openSync(path.join(stateDir, 'bot.log'), 'w');
  const env = { ...process.env, ...cloud.botEnvironment({ PORT: String(port), DATA_DIR: path.join(stateDir, 'data') }), NODE_EXTRA_CA_CERTS: caFile };
  const bot = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], { env, stdio: ['ignore', log, log], cwd: ROOT });
  const stop = async (): Promise<void> => {
    bot.kill('SIGTERM');
    await cloud.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, bot, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  console.log(`Session Revoker is running at http://127.0.0.1:${port}/api/messages (logs: .demo/bot.log)`);
  console.log(`  Entra ID  ${cloud.entra.authorityHost}   Graph  ${cloud.graph.endpoint}   Teams  ${cloud.teams.serviceUrl}`);
  await runTerminalTeams(cloud, { interactive: Boolean(process.stdin.isTTY) && process.env.CI !== 'true' });
  await stop();
}
