/*
 * Preloaded (node --expose-gc --require) into the bot by bench/heapGrowth.ts: on SIGUSR2 it runs a
 * full garbage collection, lets FinalizationRegistry callbacks run (AbortSignal.timeout's timer is
 * held by one until its signal is collected and the callback has run, a task after the GC), collects
 * again, and writes {"n": signals so far, ...process.memoryUsage()} to
 * BENCH_HEAP_FILE; with BENCH_HEAP_SNAPSHOTS set (a directory) it also writes a heap snapshot there.
 */
'use strict';
const { renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const file = process.env.BENCH_HEAP_FILE;
if (file && typeof global.gc === 'function') {
  let signals = 0;
  const collect = (then) => {
    global.gc();
    setTimeout(() => {
      global.gc();
      setTimeout(then, 100);
    }, 100);
  };
  process.on('SIGUSR2', () =>
    collect(() => {
      signals += 1;
      global.gc();
      const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
      if (snapshots) v8.writeHeapSnapshot(path.join(snapshots, `bot-${signals}.heapsnapshot`));
      writeFileSync(`${file}.tmp`, JSON.stringify({ n: signals, ...process.memoryUsage() }));
      renameSync(`${file}.tmp`, file);
    }),
  );
}
