/**
 * `node dist/bench/cpuprofile-summary.js FILE.cpuprofile [N]`: where a V8 CPU profile (node
 * --cpu-prof) spent its time: self time by function (top N, 25) and by where the code lives
 * (the broker's libs/ and apps/ by lib, node_modules by package, node internals, GC, idle).
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a function lives: a broker lib or app, an npm package, node itself, or a V8 pseudo-frame. */
function place(url: string, name: string): string {
  if (!url) return `(${name || 'anonymous'})`;
  const broker = /\/dist\/((?:libs|apps|bench)\/[^/]+)\//.exec(url);
  if (broker) return broker[1];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function main(): void {
  const [file, top = '25'] = process.argv.slice(2);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = place(url, functionName);
    const key = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    places.set(where, (places.get(where) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const out = [`${file}: ${(total / 1e6).toFixed(2)} s sampled`, '', 'self time by place:'];
  for (const [k, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 20))
    out.push(`${ms(us)} ${pct(us)}  ${k}`);
  out.push('', `self time by function (top ${top}):`);
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
    out.push(`${ms(us)} ${pct(us)}  ${k}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
