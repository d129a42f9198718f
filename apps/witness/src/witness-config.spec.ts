import { TestLog } from './test-log';
import { DEFAULT_WITNESS_PORT, readWitnessConfig } from './witness-config';

describe('readWitnessConfig', () => {
  const log = new TestLog('broker.test/log');

  it('defaults to production, port 4200, .data/witness', () => {
    const config = readWitnessConfig({ WITNESS_LOGS: log.vkey });
    expect(config).toMatchObject({
      mode: 'production',
      port: DEFAULT_WITNESS_PORT,
      host: '127.0.0.1',
      dataDir: '.data/witness',
      keyFile: '.data/witness/witness-key.pem',
      name: 'witness.dev.broker.local',
      trustOnFirstUse: false,
    });
    expect(config.logs.map((v) => v.name)).toEqual([log.origin]);
  });

  it('reads several log keys, separated by commas', () => {
    const other = new TestLog('other.test/log');
    const config = readWitnessConfig({ WITNESS_LOGS: ` ${log.vkey} ,${other.vkey},` });
    expect(config.logs.map((v) => v.name)).toEqual([log.origin, other.origin]);
  });

  it('trusts on first use only in development without WITNESS_LOGS', () => {
    expect(readWitnessConfig({ BROKER_MODE: 'development' }).trustOnFirstUse).toBe(true);
    expect(readWitnessConfig({ BROKER_MODE: 'development', WITNESS_LOGS: log.vkey }).trustOnFirstUse).toBe(
      false,
    );
    expect(() => readWitnessConfig({})).toThrow(/WITNESS_LOGS is required in production/);
  });

  it('lists every problem at once', () => {
    expect(() =>
      readWitnessConfig({
        BROKER_MODE: 'prod',
        WITNESS_PORT: '70000',
        WITNESS_NAME: 'a b',
        WITNESS_LOGS: 'nope',
      }),
    ).toThrow(/BROKER_MODE[\s\S]*WITNESS_PORT[\s\S]*WITNESS_NAME[\s\S]*WITNESS_LOGS/);
  });

  it('refuses a cosigner key where a log key is expected', () => {
    const cosignerVkey = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
    expect(() => readWitnessConfig({ WITNESS_LOGS: cosignerVkey })).toThrow(/not a log key/);
  });
});
