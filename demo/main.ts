/**
 * `npm start`: the local demo (demo.ts). It runs only where no production setting is: with
 * MicrosoftAppId set it refuses and points to `node .` (the production bot); without it, any
 * production setting stops start-up with one line naming them, so a production host that lost
 * its MicrosoftAppId never silently becomes a demo (productionSettings.ts).
 */
import { missingAppIdProblem, productionSettingsIn } from './productionSettings';
import { runDemo } from './demo';

async function main(): Promise<void> {
  if (process.env.MicrosoftAppId?.trim()) {
    console.error(
      'config: MicrosoftAppId is set, and npm start is the local demo, which runs only without it: run the bot with npm run build, then node .',
    );
    process.exit(2);
  }
  const found = productionSettingsIn(process.env);
  if (found.length > 0) {
    console.error(`config: ${missingAppIdProblem(found)}`);
    process.exit(2);
  }
  await runDemo();
}

main().catch((error: unknown) => {
  console.error('The demo failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
