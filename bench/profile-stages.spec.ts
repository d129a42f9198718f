import { attribute, type CallFrame, type CpuProfile, frameOrigin, stageOfStack } from './profile-stages';

const DIST = 'file:///work/repo/dist/';
const NM = 'file:///work/repo/node_modules/';
const broker = (p: string, fn = 'f'): CallFrame => ({ functionName: fn, url: `${DIST}${p}.js` });
const pkg = (p: string, fn = 'f'): CallFrame => ({ functionName: fn, url: `${NM}${p}.js` });
const node = (p: string): CallFrame => ({ functionName: 'f', url: `node:${p}` });
const v8 = (name: string): CallFrame => ({ functionName: name, url: '' });
const nativeFn = (name: string): CallFrame => ({ functionName: name, url: '' });

describe('profile stage attribution', () => {
  it('reads where a frame comes from: broker code under dist/, a package under the last node_modules/', () => {
    expect(frameOrigin(broker('libs/consent/src/consent-store'))).toEqual({
      where: 'broker',
      path: 'libs/consent/src/consent-store.js',
    });
    expect(frameOrigin(pkg('@apollo/server/node_modules/uuid/dist/index'))).toEqual({
      where: 'package',
      path: 'uuid/dist/index.js',
    });
    expect(frameOrigin(node('net'))).toEqual({ where: 'node', path: 'node:net' });
    expect(frameOrigin(nativeFn('stringify'))).toBeNull();
  });

  it('a library counts for the broker stage that called it (tier 1 before tier 2)', () => {
    // top of the stack first
    expect(stageOfStack([pkg('pg/lib/client'), broker('libs/consent/src/consent-store')])).toBe('consent');
    expect(
      stageOfStack([
        nativeFn('parse'),
        pkg('undici/lib/api/readable'),
        broker('libs/sources/src/rnpp/rnpp-http.source'),
        broker('libs/disclosure/src/person-disclosure.service'),
      ]),
    ).toBe('register call');
  });

  it('the broker frame nearest the top decides, not one further down', () => {
    expect(
      stageOfStack([
        broker('libs/access-log/src/access-chain'),
        broker('libs/disclosure/src/person-disclosure.service'),
      ]),
    ).toBe('log append');
  });

  it('without a broker frame, the library decides (callbacks, resumed awaits)', () => {
    expect(stageOfStack([pkg('pg-protocol/dist/parser'), node('net')])).toBe('log append');
    expect(stageOfStack([pkg('jose/dist/webapi/jwt/verify')])).toBe('consent');
    expect(
      stageOfStack([pkg('graphql/language/parser'), pkg('@apollo/server/dist/cjs/requestPipeline')]),
    ).toBe('parse/validate');
    expect(
      stageOfStack([pkg('graphql/execution/execute'), pkg('@nestjs/core/helpers/external-context-creator')]),
    ).toBe('serialise');
  });

  it('a rule may name a function: Apollo writing the answer is serialise, the rest of Apollo parse/validate', () => {
    expect(
      stageOfStack([
        nativeFn('stringify'),
        pkg('@apollo/server/dist/cjs/runHttpQuery', 'prettyJSONStringify'),
      ]),
    ).toBe('serialise');
    expect(stageOfStack([pkg('@apollo/server/dist/cjs/runHttpQuery', 'runHttpQuery')])).toBe(
      'parse/validate',
    );
  });

  it('broker plumbing and shared helpers decide only when nothing more specific is on the stack', () => {
    // graphql's parser running under the gateway's HTTP hook is parse/validate, not framework
    expect(stageOfStack([pkg('graphql/language/parser'), broker('apps/gateway/src/http/http-hooks')])).toBe(
      'parse/validate',
    );
    expect(stageOfStack([pkg('fastify/lib/reply'), broker('apps/gateway/src/http/http-hooks')])).toBe(
      'framework',
    );
    // signed-token under the member authenticator is authentication; alone (a resumed await), consent
    expect(
      stageOfStack([
        broker('libs/consent/src/signed-token'),
        broker('libs/consent/src/member-authenticator.service'),
      ]),
    ).toBe('authenticate');
    expect(stageOfStack([broker('libs/consent/src/signed-token')])).toBe('consent');
    expect(stageOfStack([pkg('some-unlisted-package/index')])).toBe('framework');
  });

  it("Node's own code, V8's pseudo-frames, and what matches nothing", () => {
    expect(stageOfStack([node('internal/stream_base_commons'), node('internal/process/task_queues')])).toBe(
      'node core',
    );
    expect(stageOfStack([v8('(garbage collector)')])).toBe('GC');
    expect(stageOfStack([v8('(idle)')])).toBe('idle');
    expect(stageOfStack([v8('(program)')])).toBe('other');
    expect(stageOfStack([nativeFn('stringify'), v8('(root)')])).toBe('other');
  });

  it('counts the samples inside the windows (timestamps from the deltas), each once', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: v8('(root)'), children: [2, 3] },
        { id: 2, callFrame: pkg('undici/lib/core/request'), children: [] },
        { id: 3, callFrame: v8('(garbage collector)'), children: [] },
      ],
      startTime: 1000,
      endTime: 1100,
      // samples at 1010, 1020, 1050, 1060
      samples: [2, 2, 3, 2],
      timeDeltas: [10, 10, 30, 10],
    };
    const all = attribute(profile, [{ from: 0, to: 2000 }]);
    expect(all.stageSamples['register call']).toBe(3);
    expect(all.stageSamples.GC).toBe(1);
    expect(all.samples).toBe(4);
    // [from, to): 1020 and 1050 are in, 1010 and 1060 are out; two windows add up
    const some = attribute(profile, [{ from: 1015, to: 1055 }]);
    expect(some.stageSamples['register call']).toBe(1);
    expect(some.stageSamples.GC).toBe(1);
    const two = attribute(profile, [
      { from: 1000, to: 1011 },
      { from: 1050, to: 1060 },
    ]);
    expect(two.stageSamples['register call']).toBe(1);
    expect(two.stageSamples.GC).toBe(1);
    expect(attribute(profile, [{ from: 1000, to: 1060 }]).functions[0]).toEqual({
      name: 'f undici/lib/core/request.js:1',
      stage: 'register call',
      samples: 2,
    });
  });
});
