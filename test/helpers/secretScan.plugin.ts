/**
 * Mocha root hooks (registered in .mocharc.json): from the first test on, remember every token
 * the emulated cloud signs and every answer a bot gives on /api/messages; after the last test,
 * scan everything the bots produced (see secretScan.ts) and fail the run on any credential.
 */
import { produced, type ProducedItem } from './secretScan';

/** Kinds of output an end-to-end run must have produced, or the scan would prove nothing. */
const EXPECTED_KINDS = ['bot log', 'connector', 'bot answer', 'data dir'];

let originalFetch: typeof fetch | undefined;

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** Records the body of every answer from a bot's /api/messages (invoke answers, error bodies). */
function recordBotAnswers(): void {
  originalFetch = globalThis.fetch;
  const inner = originalFetch;
  globalThis.fetch = async function recordingFetch(
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): Promise<Response> {
    const response = await inner(input, init);
    const url = urlOf(input);
    if (/\/api\/messages(?:[?#]|$)/.test(url)) {
      response
        .clone()
        .text()
        .then(
          (text) => produced.add('bot answer', `answer ${response.status} from ${new URL(url).host}`, text),
          () => undefined,
        );
    }
    return response;
  };
}

export const mochaHooks = {
  beforeAll(): void {
    produced.start();
    recordBotAnswers();
  },
  afterAll(): void {
    if (originalFetch) globalThis.fetch = originalFetch;
    produced.stop();
    const bytes = new Map<string, number>();
    const items: ProducedItem[] = [];
    for (const item of produced.all()) {
      items.push(item);
      bytes.set(item.kind ?? 'other', (bytes.get(item.kind ?? 'other') ?? 0) + item.text.length);
    }
    if (!produced.coverage.has('bot log')) return; // no end-to-end test ran: nothing to scan
    const missing = EXPECTED_KINDS.filter((kind) => !bytes.get(kind));
    // A whole-suite run must have produced every kind of output, or the collector is broken; a run of a
    // few named files may legitimately produce only some (the scan below still covers what they did).
    if (missing.length > 0 && process.env.REVOKER_WHOLE_SUITE === '1')
      throw new Error(`secret scan: the run produced no ${missing.join(', ')} to scan; the collector is broken`);
    const findings = produced.scan();
    const sizes = [...bytes].map(([kind, n]) => `${kind} ${(n / 1e6).toFixed(1)} MB`).join(', ');
    console.log(
      `\n  secret scan: ${items.length} items (${sizes}) against ${produced.signatureCount} issued-token signatures: ${findings.length === 0 ? 'clean' : `${findings.length} findings`}`,
    );
    if (findings.length > 0) {
      const report = findings
        .slice(0, 20)
        .map((f) => `  ${f.kind} in ${f.source} at ${f.at}: ${f.context}`)
        .join('\n');
      throw new Error(`secret scan: credentials in what the bots produced:\n${report}`);
    }
  },
};
