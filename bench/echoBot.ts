/**
 * The framework's floor for the turn benchmark: a bare botbuilder bot on the same set-up as
 * Session Revoker (createBotFrameworkAuthentication + CloudAdapter + restify with a JSON body
 * parser, the same channel-token validation). A message is echoed back as a card with one
 * Action.Execute; clicking it answers the invoke with a card. Run as a child process by
 * bench/turns.ts with the bot's environment.
 */
import { ActivityHandler, CloudAdapter, type Activity, type TurnContext } from 'botbuilder';
import restify, { type Request, type Response } from 'restify';
import { createBotFrameworkAuthentication } from '../src/bot/botFrameworkAuth';

const CARD = 'application/vnd.microsoft.card.adaptive';

function echoCard(text: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'TextBlock', text, wrap: true }],
    actions: [{ type: 'Action.Execute', title: 'Echo', verb: 'echo', data: { text: text.slice(0, 100) } }],
  };
}

/** A message's text; a message may come without (botbuilder types it as always there). */
function textOf(activity: Partial<Activity>): string {
  return activity.text ?? '';
}

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity({ type: 'message', attachments: [{ contentType: CARD, content: echoCard(textOf(context.activity)) }] });
      await next();
    });
  }

  protected override async onInvokeActivity(_context: TurnContext): Promise<{ status: number; body?: unknown }> {
    return { status: 200, body: { statusCode: 200, type: CARD, value: echoCard('echoed') } };
  }
}

async function main(): Promise<void> {
  const adapter = new CloudAdapter(createBotFrameworkAuthentication(process.env));
  const bot = new EchoBot();
  const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false }));
  server.post('/api/messages', async (req: Request, res: Response) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  server.get('/healthz', async (_req: Request, res: Response) => void res.send(200, { status: 'ok' }));
  const port = Number(process.env.PORT ?? 3979);
  server.listen(port, '127.0.0.1', () => console.log(`echo bot listening on ${port}`));
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
  });
}

void main();
