import { Ed25519Cosigner, Ed25519NoteSigner } from '@broker/transparency';
import { TestLog, testKey } from '../../../test/support/test-tlog';
import { type LogSource, type MonitorState, type MonitorVerdict, monitorLog } from './log-monitor';
import { witnessVerifierArguments } from './tlog-arguments';

/** A source that serves a fixed checkpoint and records what was asked. */
function source(log: TestLog, checkpoint: string, consistency?: LogSource['consistency']) {
  const asked: string[] = [];
  const s: LogSource = {
    checkpoint: async () => (asked.push('checkpoint'), checkpoint),
    vkey: async () => (asked.push('vkey'), `${log.signer.vkey}\n`),
    consistency: async (from, to) => (
      asked.push(`consistency ${from} ${to}`),
      (consistency ?? ((a, b) => log.tree.consistencyProof(a, b)))(from, to)
    ),
  };
  return { s, asked };
}

const okState = (v: MonitorVerdict): MonitorState => {
  if (!v.ok) throw new Error(v.line);
  return v.state;
};

describe('log monitor verdicts', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const noWitnesses = { witnesses: [], quorum: 0 };

  it('pins the log key on first use and keeps the first checkpoint', async () => {
    const log = new TestLog(undefined, [w1]).append(5);
    const { s, asked } = source(log, await log.checkpoint());
    const v = await monitorLog(s, undefined, noWitnesses, new Date('2027-01-01T00:00:00Z'));
    expect(v).toMatchObject({ ok: true, trustedOnFirstUse: true });
    expect(v.line).toMatch(
      /^OK: first checkpoint of broker.test.lu\/access-log at size 5, root \S+ \(log key .* trusted on first use\)$/,
    );
    expect(okState(v)).toMatchObject({
      origin: log.origin,
      vkey: log.signer.vkey,
      size: 5,
      checkedAt: '2027-01-01T00:00:00.000Z',
    });
    expect(asked).toEqual(['vkey', 'checkpoint']);
  });

  it('accepts a consistent growth, and uses the pinned key without fetching it again', async () => {
    const log = new TestLog(undefined, [w1]).append(5);
    const first = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    log.append(8);
    const { s, asked } = source(log, await log.checkpoint());
    const v = await monitorLog(s, first, noWitnesses);
    expect(v.line).toBe('OK: broker.test.lu/access-log size 5 -> 13, consistent');
    expect(okState(v).size).toBe(13);
    expect(asked).toEqual(['checkpoint', 'consistency 5 13']);
    const same = await monitorLog(source(log, await log.checkpoint()).s, okState(v), noWitnesses);
    expect(same.line).toMatch(/^OK: .* size 13 -> 13, unchanged/);
  });

  it('grows from an empty tree without a consistency proof', async () => {
    const log = new TestLog(undefined, [w1]);
    const first = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    log.append(3);
    const { s, asked } = source(log, await log.checkpoint());
    expect((await monitorLog(s, first, noWitnesses)).ok).toBe(true);
    expect(asked).toEqual(['checkpoint']);
  });

  it('reports a rollback when the tree shrinks', async () => {
    const log = new TestLog(undefined, [w1]).append(9);
    const seen = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    const v = await monitorLog(source(log, await log.checkpoint(6)).s, seen, noWitnesses);
    expect(v).toMatchObject({ ok: false, code: 'ROLLBACK' });
    expect(v.line).toMatch(/^FAIL: rollback: broker.test.lu\/access-log serves size 6, below size 9/);
  });

  it('reports a fork when the same size has another root', async () => {
    const log = new TestLog(undefined, [w1]).append(9);
    const seen = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    const other = new TestLog(log.origin, [w1], log.signer).append(9);
    const v = await monitorLog(source(other, await other.checkpoint()).s, seen, noWitnesses);
    expect(v).toMatchObject({ ok: false, code: 'FORK' });
    expect(v.line).toMatch(/^FAIL: fork: .* at size 9 has root/);
  });

  it('reports a fork when a larger tree does not extend the one seen', async () => {
    const log = new TestLog(undefined, [w1]).append(9);
    const seen = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    const other = new TestLog(log.origin, [w1], log.signer).append(20);
    const v = await monitorLog(source(other, await other.checkpoint()).s, seen, noWitnesses);
    expect(v).toMatchObject({ ok: false, code: 'INCONSISTENT' });
    expect(v.line).toMatch(/^FAIL: fork \(inconsistent\): .* at size 20 does not extend the tree of size 9/);
    log.append(11);
    const lying = source(log, await log.checkpoint(), async () => [Buffer.alloc(32, 7)]);
    expect(await monitorLog(lying.s, seen, noWitnesses)).toMatchObject({ ok: false, code: 'INCONSISTENT' });
  });

  it('refuses a checkpoint not signed by the pinned key, or with a failing signature', async () => {
    const log = new TestLog(undefined, [w1]).append(4);
    const seen = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    log.append(1);
    const impostor = new Ed25519NoteSigner(log.origin, testKey());
    const v = await monitorLog(source(log, await log.checkpoint(5, [w1], impostor)).s, seen, noWitnesses);
    expect(v).toMatchObject({ ok: false, code: 'SIGNATURE' });
    const good = await log.checkpoint();
    const forged = good.replace(/\n(\d+)\n/, '\n6\n');
    const w = await monitorLog(source(log, forged).s, seen, noWitnesses);
    expect(w).toMatchObject({ ok: false, code: 'SIGNATURE' });
    expect(w.line).toMatch(/does not verify/);
  });

  it('refuses a --log-vkey other than the pinned one, and another origin', async () => {
    const log = new TestLog(undefined, [w1]).append(4);
    const seen = okState(await monitorLog(source(log, await log.checkpoint()).s, undefined, noWitnesses));
    const other = new Ed25519NoteSigner(log.origin, testKey());
    expect(
      await monitorLog(source(log, await log.checkpoint()).s, seen, { ...noWitnesses, logVkey: other.vkey }),
    ).toMatchObject({
      ok: false,
      code: 'KEY_MISMATCH',
    });
    const elsewhere = new TestLog('other.test.lu/log', [w1]).append(4);
    const v = await monitorLog(source(elsewhere, await elsewhere.checkpoint()).s, undefined, {
      ...noWitnesses,
      logVkey: log.signer.vkey,
    });
    expect(v).toMatchObject({ ok: false, code: 'ORIGIN' });
  });

  it('requires the witness quorum when witnesses are given', async () => {
    const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
    const log = new TestLog(undefined, [w1]).append(4);
    const witnesses = witnessVerifierArguments([w1.vkey, w2.vkey]);
    const v = await monitorLog(source(log, await log.checkpoint()).s, undefined, { witnesses, quorum: 2 });
    expect(v).toMatchObject({ ok: false, code: 'QUORUM' });
    const w = await monitorLog(source(log, await log.checkpoint()).s, undefined, { witnesses, quorum: 1 });
    expect(w.line).toMatch(/cosigned by witness.test.lu\/w1 \(log key/);
  });

  it('refuses a checkpoint that is not one', async () => {
    const log = new TestLog(undefined, [w1]).append(4);
    expect(await monitorLog(source(log, 'not a note').s, undefined, noWitnesses)).toMatchObject({
      ok: false,
      code: 'MALFORMED',
    });
  });
});
