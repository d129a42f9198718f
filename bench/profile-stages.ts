/**
 * The attribution of a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it) to the stages
 * of a granted request, for `npm run bench:profile`. Pure: no I/O.
 *
 * The rule, in one place (RULES below):
 *   Each sample's call stack is read from its top (the function running when the sample was taken)
 *   down to its root. The rules are grouped in tiers. Tier 1 is tried first: the frame nearest the
 *   top that matches a tier-1 rule decides the sample's stage. If no frame matches a tier-1 rule,
 *   tier 2 is tried the same way, then tier 3, then tier 4. A stack that matches nothing is "other".
 *   - Tier 1: the broker's own code that belongs to one stage (`dist/libs/consent/…/consent-verifier`
 *     → consent). So a library called by the broker counts for the broker stage that called it
 *     (pg under the consent ledger's withdrawal query → consent; undici under the RNPP adapter →
 *     register call).
 *   - Tier 2: libraries that belong to one stage (jose → consent, undici → register call, pg →
 *     log append, graphql's parser → parse/validate…). They decide when no broker frame is on the
 *     stack: callbacks from sockets, timers and resumed `await`s carry only the library's frames.
 *   - Tier 3: the broker's shared helpers and plumbing (signed-token, trust registry, HTTP hooks),
 *     and any other package: they decide only when nothing more specific is on the stack.
 *   - Tier 4: Node's own code (`node:…`) and V8's pseudo-frames: (garbage collector), (program),
 *     (idle).
 * Each sample counts once. V8 takes a sample by signalling the main thread, so samples are taken
 * while the thread runs: their count is proportional to its CPU time. (Weighting each by the time
 * to the next sample, as Chrome DevTools does, would also credit the time the thread waited for a
 * core, which on a machine this busy goes to whatever ran just before it was descheduled.) The
 * report turns the counts into shares of the main thread's measured CPU time.
 */

export const STAGES = [
  'parse/validate',
  'authenticate',
  'consent',
  'decision',
  'register call',
  'log append',
  'log integration',
  'serialise',
  'framework',
  'node core',
  'GC',
  'other',
  'idle',
] as const;
export type Stage = (typeof STAGES)[number];

/** What a stage holds, for the report's first column. */
export const STAGE_LABELS: Record<Stage, string> = {
  'parse/validate': 'parse/validate (graphql parse + validate, Apollo request pipeline)',
  authenticate: 'authenticate (member assertion, guard)',
  consent: 'consent (consent token: jose on the main thread, ledger write and withdrawal read)',
  decision: 'decision (disclosure policy, grants, resolver)',
  'register call': 'register call (adapter, undici, cockatiel, JSON parse of the answer)',
  'log append': 'log append (appender, entry hashing, pg, TypeORM)',
  'log integration': 'log integration (Merkle tree, checkpoints, in the background)',
  serialise: 'serialise (graphql execute and result, JSON of the answer)',
  framework: 'framework (Nest, Fastify, other packages, broker plumbing)',
  'node core': 'Node core alone (sockets, streams, timers, microtask queue)',
  GC: 'garbage collection (main thread)',
  other: 'other (V8 "(program)", unattributed)',
  idle: 'idle',
};

/** One frame of a .cpuprofile node. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber?: number;
  columnNumber?: number;
  scriptId?: string | number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
}

/** A .cpuprofile: times in µs of the monotonic clock (the same clock as process.hrtime). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

type Where = 'broker' | 'package' | 'node' | 'v8';

export interface Rule {
  tier: 1 | 2 | 3 | 4;
  stage: Stage;
  /** What kind of frame the rule is about. */
  where: Where;
  /**
   * broker: a path under dist/ (`libs/consent/src/consent-verifier`); package: the package name and
   * optionally a path inside it (`graphql/language/`), `*` for any package; node: `node:` for any
   * of Node's modules; v8: the pseudo-frame's name (`(garbage collector)`).
   */
  pattern: string;
  /** If set, the function's name must be this too. */
  functionName?: string;
}

const broker = (tier: 1 | 3, stage: Stage, ...patterns: string[]): Rule[] =>
  patterns.map((pattern) => ({ tier, stage, where: 'broker', pattern }));
const pkg = (stage: Stage, ...patterns: string[]): Rule[] =>
  patterns.map((pattern) => ({ tier: 2, stage, where: 'package', pattern }));

/** THE attribution table (see the module's comment for how it is read). Order within a tier matters. */
export const RULES: Rule[] = [
  // tier 1: broker code of one stage
  ...broker(1, 'parse/validate', 'apps/gateway/src/graphql/request-limits.plugin'),
  ...broker(1, 'serialise', 'apps/gateway/src/graphql/error-mapper'),
  ...broker(
    1,
    'authenticate',
    'apps/gateway/src/person/member-auth.guard',
    'libs/consent/src/member-authenticator',
  ),
  ...broker(
    1,
    'consent',
    'libs/consent/src/consent-verifier',
    'libs/consent/src/consent-store',
    'libs/consent/src/consent.',
    'libs/consent/src/consent-identifiers',
    'libs/consent/src/consent-revocations',
  ),
  ...broker(1, 'decision', 'libs/disclosure/', 'apps/gateway/src/person/', 'bench/bare-gateway'),
  ...broker(1, 'register call', 'libs/sources/'),
  ...broker(1, 'log append', 'libs/access-log/'),
  ...broker(1, 'log integration', 'libs/log-tree/', 'libs/transparency/'),
  // tier 2: libraries of one stage
  {
    tier: 2,
    stage: 'serialise',
    where: 'package',
    pattern: '@apollo/server/',
    functionName: 'prettyJSONStringify',
  },
  ...pkg('serialise', 'graphql/execution/'),
  ...pkg('parse/validate', 'graphql/language/', 'graphql/validation/', '@apollo/'),
  ...pkg('consent', 'jose/'),
  ...pkg('register call', 'undici/', 'cockatiel/', 'fast-xml-parser/'),
  ...pkg(
    'log append',
    'pg/',
    'pg-pool/',
    'pg-protocol/',
    'pg-types/',
    'pg-int8/',
    'postgres-array/',
    'postgres-bytea/',
    'postgres-date/',
    'postgres-interval/',
    'typeorm/',
  ),
  ...pkg(
    'framework',
    '@nestjs/',
    'fastify/',
    '@fastify/',
    'avvio/',
    'find-my-way/',
    'light-my-request/',
    'secure-json-parse/',
    'fast-json-stringify/',
    'pino/',
    'rxjs/',
    'reflect-metadata/',
    'prom-client/',
  ),
  // tier 3: shared broker helpers and plumbing, any other package
  ...broker(3, 'consent', 'libs/consent/src/signed-token', 'libs/consent/src/verified-token-cache'),
  ...broker(3, 'decision', 'libs/trust/', 'libs/data-items/', 'libs/matricule/'),
  ...broker(3, 'log append', 'libs/database/'),
  ...broker(3, 'framework', 'apps/gateway/', 'libs/config/'),
  ...broker(3, 'other', ''),
  { tier: 3, stage: 'framework', where: 'package', pattern: '*' },
  // tier 4: Node's modules, V8's pseudo-frames
  { tier: 4, stage: 'node core', where: 'node', pattern: 'node:' },
  { tier: 4, stage: 'GC', where: 'v8', pattern: '(garbage collector)' },
  { tier: 4, stage: 'idle', where: 'v8', pattern: '(idle)' },
  { tier: 4, stage: 'other', where: 'v8', pattern: '(program)' },
];

/** Where a frame comes from, and its path for the rules (see Rule.pattern). */
export function frameOrigin(f: CallFrame): { where: Where; path: string } | null {
  const url = f.url;
  if (!url) return f.functionName.startsWith('(') ? { where: 'v8', path: f.functionName } : null;
  if (url.startsWith('node:')) return { where: 'node', path: url };
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return { where: 'package', path: url.slice(nm + '/node_modules/'.length) };
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return { where: 'broker', path: url.slice(dist + '/dist/'.length) };
  return null;
}

function matches(rule: Rule, f: CallFrame, origin: { where: Where; path: string }): boolean {
  if (rule.where !== origin.where) return false;
  if (rule.functionName !== undefined && rule.functionName !== f.functionName) return false;
  if (rule.where === 'v8') return origin.path === rule.pattern;
  if (rule.pattern === '*') return true;
  return origin.path.startsWith(rule.pattern);
}

/** The stage of a call stack given from its top (index 0, the running function) to its root. */
export function stageOfStack(stack: readonly CallFrame[], rules: readonly Rule[] = RULES): Stage {
  const origins = stack.map(frameOrigin);
  for (const tier of [1, 2, 3, 4] as const) {
    const tierRules = rules.filter((r) => r.tier === tier);
    for (let i = 0; i < stack.length; i++) {
      const o = origins[i];
      if (!o) continue;
      const rule = tierRules.find((r) => matches(r, stack[i], o));
      if (rule) return rule.stage;
    }
  }
  return 'other';
}

/** A time window in µs of the monotonic clock, [from, to). */
export interface Window {
  from: number;
  to: number;
}

export interface Attribution {
  /** Samples per stage, within the windows. */
  stageSamples: Record<Stage, number>;
  /** Samples per running function (self time), within the windows, with its stage. */
  functions: { name: string; stage: Stage; samples: number }[];
  samples: number;
}

/** A short name for a frame: `function (package or dist path:line)`. */
export function frameName(f: CallFrame): string {
  const o = frameOrigin(f);
  const where = o ? (o.where === 'v8' ? '' : o.path) : f.url || 'native';
  const fn = f.functionName || '(anonymous)';
  return where ? `${fn} ${where}:${(f.lineNumber ?? 0) + 1}` : fn;
}

/** Attributes the samples of `profile` taken within `windows` to stages (see the module's comment). */
export function attribute(
  profile: CpuProfile,
  windows: readonly Window[],
  rules: readonly Rule[] = RULES,
): Attribution {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOfNode = new Map<number, Stage>();
  const stageOf = (id: number): Stage => {
    let s = stageOfNode.get(id);
    if (s === undefined) {
      const stack: CallFrame[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
        stack.push(byId.get(at)!.callFrame);
      s = stageOfStack(stack, rules);
      stageOfNode.set(id, s);
    }
    return s;
  };
  const stageSamples = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const fnSamples = new Map<string, { name: string; stage: Stage; samples: number }>();
  let at = profile.startTime;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (!windows.some((w) => at >= w.from && at < w.to)) continue;
    const id = profile.samples[i];
    const stage = stageOf(id);
    stageSamples[stage]++;
    samples++;
    const name = frameName(byId.get(id)!.callFrame);
    const key = `${stage}\u0000${name}`;
    const e = fnSamples.get(key) ?? { name, stage, samples: 0 };
    e.samples++;
    fnSamples.set(key, e);
  }
  return { stageSamples, functions: [...fnSamples.values()].sort((a, b) => b.samples - a.samples), samples };
}
