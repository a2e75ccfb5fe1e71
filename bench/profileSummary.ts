/**
 * Where a bot's CPU went, from the profiles `BENCH_PROFILE=<dir> npm run bench` writes
 * (--cpu-prof): self time per package (node_modules/<name>, the bot's own code, Node's internals,
 * idle and GC), then the functions with the most self time.
 *
 *   node --import tsx bench/profileSummary.ts <file.cpuprofile> [how many functions, default 15]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The package a script belongs to: node_modules/<name> (scoped too), the bot's own code, or Node's. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const own = /\/(dist|build\/bench|src|bench)\//.exec(url);
  return own ? `own code (${own[1] ?? ''})` : url;
}

function main(): void {
  const [file, top = '15'] = process.argv.slice(2);
  if (!file) throw new Error('usage: bench/profileSummary.ts <file.cpuprofile> [n]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const share = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${share(us)}  ${pkg}`);
  console.log('');
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${share(us)}  ${fn}`);
}

main();
