import { generateKeyPairSync } from 'node:crypto';
import { Ed25519Cosigner, Ed25519NoteSigner } from '@broker/transparency';
import { auditTlogPolicy } from './audit.command';
import { UsageError } from './tlog-arguments';

const key = () => generateKeyPairSync('ed25519').privateKey;
const log = new Ed25519NoteSigner('broker.test.lu', key()).vkey;
const w1 = new Ed25519Cosigner('witness.test.lu/w1', key()).vkey;
const w2 = new Ed25519Cosigner('witness.test.lu/w2', key()).vkey;

describe('audit verify: the transparency-log options', () => {
  it('checks no signature without --log-vkey', () => {
    expect(auditTlogPolicy({})).toBeUndefined();
  });

  it('parses the keys as proof verify does; the quorum defaults to every witness given', () => {
    const p = auditTlogPolicy({ logVkey: log, witnessVkey: [w1, w2] });
    expect(p?.quorum).toBe(2);
    expect(p?.witnesses).toHaveLength(2);
    expect(auditTlogPolicy({ logVkey: log, witnessVkey: [w1, w2], quorum: '1' })?.quorum).toBe(1);
    expect(auditTlogPolicy({ logVkey: log })?.quorum).toBe(0);
  });

  it('refuses witnesses or a quorum without the log key, a quorum too high, a key twice, a bad key', () => {
    expect(() => auditTlogPolicy({ witnessVkey: [w1] })).toThrow(UsageError);
    expect(() => auditTlogPolicy({ quorum: '1' })).toThrow('--witness-vkey and --quorum need --log-vkey');
    expect(() => auditTlogPolicy({ logVkey: log, witnessVkey: [w1], quorum: '2' })).toThrow(UsageError);
    expect(() => auditTlogPolicy({ logVkey: log, witnessVkey: [w1, w1] })).toThrow('given twice');
    expect(() => auditTlogPolicy({ logVkey: w1 })).toThrow(UsageError);
  });
});
