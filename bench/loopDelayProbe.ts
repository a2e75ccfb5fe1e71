/**
 * Preloaded into the bots `npm run bench` starts (with BENCH_LOOP_DELAY_FILE set): measures the
 * event loop's delay with perf_hooks.monitorEventLoopDelay. On SIGUSR2 it writes what it saw since
 * the last signal to that file — {"n": signals so far, "p50", "p99", "max": ms} — and starts afresh.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let signals = 0;
  process.on('SIGUSR2', () => {
    signals += 1;
    const ms = (ns: number): number => Number((ns / 1e6).toFixed(1));
    writeFileSync(
      `${file}.tmp`,
      JSON.stringify({ n: signals, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }),
    );
    renameSync(`${file}.tmp`, file);
    histogram.reset();
  });
}
