import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519Cosigner, Ed25519NoteSigner } from '@broker/transparency';
import { testKey } from '../../../test/support/test-tlog';
import {
  collect,
  logBaseUrlArgument,
  logVerifierArgument,
  quorumArgument,
  resolveVkeyArgument,
  UsageError,
  witnessVerifierArguments,
} from './tlog-arguments';

describe('transparency-log command arguments', () => {
  const log = new Ed25519NoteSigner('broker.test.lu/access-log', testKey());
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
  const dir = mkdtempSync(join(tmpdir(), 'tlog-args-'));

  it('takes a vkey given as text', () => {
    expect(resolveVkeyArgument(log.vkey, '--log-vkey')).toBe(log.vkey);
  });

  it('reads a vkey from a file, ignoring blank space and comment lines', () => {
    const file = join(dir, 'log.vkey');
    writeFileSync(file, `# the broker's log key\n\n  ${log.vkey}  \r\n`);
    expect(resolveVkeyArgument(file, '--log-vkey')).toBe(log.vkey);
  });

  it('refuses an argument that is neither a vkey nor a file, and a file of two keys', () => {
    expect(() => resolveVkeyArgument(join(dir, 'missing'), '--log-vkey')).toThrow(UsageError);
    expect(() => resolveVkeyArgument(join(dir, 'missing'), '--log-vkey')).toThrow(/neither a vkey nor/);
    const two = join(dir, 'two.vkey');
    writeFileSync(two, `${w1.vkey}\n${w2.vkey}\n`);
    expect(() => resolveVkeyArgument(two, '--witness-vkey')).toThrow(/exactly one vkey/);
    const bad = join(dir, 'bad.vkey');
    writeFileSync(bad, `${log.vkey.slice(0, -4)}AAAA\n`);
    expect(() => resolveVkeyArgument(bad, '--log-vkey')).toThrow(UsageError);
  });

  it('refuses a witness key as the log key and the log key as a witness', () => {
    expect(logVerifierArgument(log.vkey).name).toBe('broker.test.lu/access-log');
    expect(() => logVerifierArgument(w1.vkey)).toThrow(UsageError);
    expect(() => witnessVerifierArguments([log.vkey])).toThrow(UsageError);
    expect(() => witnessVerifierArguments([w1.vkey, w1.vkey])).toThrow(/given twice/);
    expect(witnessVerifierArguments([w1.vkey, w2.vkey]).map((w) => w.name)).toEqual([
      'witness.test.lu/w1',
      'witness.test.lu/w2',
    ]);
  });

  it('requires every given witness by default, and a quorum that can be met', () => {
    const ws = witnessVerifierArguments([w1.vkey, w2.vkey]);
    expect(quorumArgument(undefined, ws)).toBe(2);
    expect(quorumArgument('1', ws)).toBe(1);
    expect(quorumArgument('0', ws)).toBe(0);
    expect(quorumArgument(undefined, [])).toBe(0);
    for (const bad of ['3', '-1', '1.5', '01', 'two', ''])
      expect(() => quorumArgument(bad, ws)).toThrow(UsageError);
  });

  it('takes the gateway base URL or its checkpoint address', () => {
    expect(logBaseUrlArgument('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(logBaseUrlArgument('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(logBaseUrlArgument('https://broker.example.lu/log/checkpoint')).toBe('https://broker.example.lu');
    expect(logBaseUrlArgument('https://broker.example.lu/api/log/checkpoint/')).toBe(
      'https://broker.example.lu/api',
    );
    for (const bad of [undefined, '', 'broker.example.lu', 'ftp://x/', 'http://x/?a=1'])
      expect(() => logBaseUrlArgument(bad)).toThrow(UsageError);
  });

  it('collects a repeated option', () => {
    expect(collect('b', collect('a', undefined))).toEqual(['a', 'b']);
  });
});
