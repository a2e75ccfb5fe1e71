/**
 * `npm start`. With MicrosoftAppId set: production — validate the environment (one line per
 * problem), start the bot, stop gracefully on SIGTERM/SIGINT. Without it: the local demo —
 * the embedded emulated Microsoft cloud plus a bot process pointed at it (src/demo/) — unless
 * any production setting is present, which stops start-up with one line naming them.
 */
import { readConfig } from './config/config';
import { missingAppIdProblem, productionSettingsIn } from './config/productionSettings';
import { startBot } from './app';

async function production(): Promise<void> {
  const result = readConfig(process.env);
  if (!result.ok) {
    for (const problem of result.problems) console.error(`config: ${problem}`);
    console.error('Session Revoker did not start. See .env.example for every variable.');
    process.exit(2);
  }
  const bot = await startBot(result.config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    bot.logger.info({ signal }, 'stopping: finishing in-flight turns');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    bot.close().then(
      () => process.exit(0),
      (error: unknown) => {
        bot.logger.error({ err: error }, 'stopped with an error');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  if (process.env.MicrosoftAppId?.trim()) return production();
  const found = productionSettingsIn(process.env);
  if (found.length > 0) {
    console.error(`config: ${missingAppIdProblem(found)}`);
    process.exit(2);
  }
  // Loaded only in demo mode: production never loads the emulator.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const demo = require('./demo/demo') as typeof import('./demo/demo');
  await demo.runDemo();
}

main().catch((error: unknown) => {
  console.error('Session Revoker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
