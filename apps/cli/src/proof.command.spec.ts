import { Ed25519Cosigner, Ed25519NoteSigner, encodeBase64 } from '@broker/transparency';
import { TestLog, testKey } from '../../../test/support/test-tlog';
import { parseProofVerifyArguments, proofVerdict } from './proof.command';
import { UsageError } from './tlog-arguments';

describe('proof verify', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
  const log = new TestLog('broker.test.lu/access-log', [w1, w2]).append(11);
  const request = (o: { witnesses?: string[]; quorum?: string; logVkey?: string } = {}) =>
    parseProofVerifyArguments(['entry.tlog-proof'], {
      logVkey: o.logVkey ?? log.signer.vkey,
      witnessVkey: o.witnesses ?? [w1.vkey, w2.vkey],
      quorum: o.quorum,
    });

  describe('arguments', () => {
    it('needs a file, the log key and at least one witness key', () => {
      expect(request()).toMatchObject({ file: 'entry.tlog-proof', quorum: 2 });
      expect(() =>
        parseProofVerifyArguments([], { logVkey: log.signer.vkey, witnessVkey: [w1.vkey] }),
      ).toThrow(UsageError);
      expect(() => parseProofVerifyArguments(['f'], { witnessVkey: [w1.vkey] })).toThrow(/--log-vkey/);
      expect(() => parseProofVerifyArguments(['f'], { logVkey: log.signer.vkey })).toThrow(/--witness-vkey/);
      expect(() =>
        parseProofVerifyArguments(['f', 'g'], { logVkey: log.signer.vkey, witnessVkey: [w1.vkey] }),
      ).toThrow(/unexpected argument g/);
    });
  });

  describe('verdicts', () => {
    it('accepts a proof signed by the log and cosigned by every witness', async () => {
      const verdict = proofVerdict(await log.proof(7), request());
      expect(verdict).toEqual({
        ok: true,
        line: 'OK: entry 7 is in broker.test.lu/access-log at size 11, cosigned by witness.test.lu/w1, witness.test.lu/w2',
      });
    });

    it('accepts a proof saved with blank lines added at its end', async () => {
      const verdict = proofVerdict(`${await log.proof(7)}\n\n`, request());
      expect(verdict.ok).toBe(true);
    });

    it('rejects a proof whose entry was changed', async () => {
      const proof = await log.proof(3);
      const extra = log.leaves[3];
      const changed = Buffer.from(extra.toString().replace('"i":3', '"i":4'));
      const verdict = proofVerdict(proof.replace(encodeBase64(extra), encodeBase64(changed)), request());
      expect(verdict.ok).toBe(false);
      expect(verdict.line).toMatch(/^FAIL: .*\(INCLUSION\)$/);
    });

    it('rejects a proof cosigned by an unknown witness only', async () => {
      const stranger = new Ed25519Cosigner('witness.test.lu/w1', testKey());
      const proof = await log.proof(2, 11, await log.checkpoint(11, [stranger]));
      const verdict = proofVerdict(proof, request({ witnesses: [w1.vkey], quorum: '1' }));
      expect(verdict.line).toMatch(/^FAIL: cosigned by 0 trusted witnesses, the quorum is 1 \(QUORUM\)$/);
    });

    it('rejects a proof below the quorum, and accepts it when the quorum is lowered', async () => {
      const proof = await log.proof(0, 11, await log.checkpoint(11, [w1]));
      expect(proofVerdict(proof, request()).line).toMatch(/\(QUORUM\)$/);
      expect(proofVerdict(proof, request({ quorum: '1' })).line).toBe(
        'OK: entry 0 is in broker.test.lu/access-log at size 11, cosigned by witness.test.lu/w1',
      );
    });

    it('rejects a proof signed by another log key', async () => {
      const impostor = new Ed25519NoteSigner('broker.test.lu/access-log', testKey());
      const proof = await log.proof(5, 11, await log.checkpoint(11, [w1, w2], impostor));
      expect(proofVerdict(proof, request()).line).toMatch(/\(LOG_SIGNATURE\)$/);
    });

    it('rejects text that is not a proof', () => {
      expect(proofVerdict('hello\n', request()).line).toMatch(/^FAIL: .*\(MALFORMED\)$/);
    });
  });
});
