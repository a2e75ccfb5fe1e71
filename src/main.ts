/**
 * The production entry point (`node .` after `npm run build`; package.json's main): validate the
 * environment (one `config:` line per problem, exit code 2), start the bot, stop gracefully on
 * SIGTERM/SIGINT. It never starts the demo: without MicrosoftAppId it stops like any other
 * missing setting. The demo is `npm start` (demo/).
 */
import { readConfig } from './config/config';
import { startBot } from './app';

async function main(): Promise<void> {
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

main().catch((error: unknown) => {
  console.error('Session Revoker failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
