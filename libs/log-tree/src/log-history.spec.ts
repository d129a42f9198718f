import { randomBytes } from 'node:crypto';
import {
  Ed25519Cosigner,
  Ed25519NoteVerifier,
  formatTlogProof,
  leafHash,
  parseVkey,
  rootOfLeafHashes,
} from '@broker/transparency';
import type { TrustedWitness } from '@broker/trust';
import { TestLog, testKey } from '../../../test/support/test-tlog';
import {
  anchorFromNote,
  bySeverity,
  checkpointNoteOf,
  compareHistory,
  TreeRootRecorder,
  witnessStateAnchor,
  type AnchorKeys,
  type HistoryAnchor,
} from './log-history';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
const trusted = (c: Ed25519Cosigner): TrustedWitness => ({
  name: c.name,
  vkey: parseVkey(c.vkey),
  url: 'http://127.0.0.1:9',
});

describe('TreeRootRecorder', () => {
  it('records the root at every size asked for, whatever the page boundaries, and the final root', () => {
    const all = leaves(100);
    const sizes = [0, 1, 7, 8, 33, 64, 99];
    for (const page of [1, 3, 8, 50, 100]) {
      const r = new TreeRootRecorder(sizes);
      for (let i = 0; i < all.length; i += page) r.push(all.slice(i, i + page));
      expect(r.size).toBe(100);
      for (const s of sizes) expect(r.rootAt(s)?.equals(rootOfLeafHashes(all.slice(0, s)))).toBe(true);
      expect(r.root().equals(rootOfLeafHashes(all))).toBe(true);
      expect(r.rootAt(50)).toBeUndefined();
    }
  });
});

const anchor = (a: Partial<HistoryAnchor> & { size: number }): HistoryAnchor => ({
  source: 'witness',
  name: 'w1',
  root: null,
  signedBy: ['broker', 'w1'],
  ...a,
});

describe('compareHistory', () => {
  const all = leaves(20);
  const r = new TreeRootRecorder([10, 20]);
  r.push(all);
  const at = (s: number) => r.rootAt(s);
  const good10 = rootOfLeafHashes(all.slice(0, 10));
  const other = randomBytes(32);

  it('finds anchors that the log still holds consistent', () => {
    const c = compareHistory(
      [
        anchor({ size: 10, root: good10 }),
        anchor({ source: 'log_tree_head', name: '', size: 20, root: r.root(), signedBy: [] }),
      ],
      20,
      at,
    );
    expect(c.problems).toEqual([]);
    expect(c.checkedAgainst.map((a) => a.result)).toEqual(['consistent', 'consistent']);
  });

  it('reports a rewrite, naming the anchor and the size', () => {
    const c = compareHistory([anchor({ size: 10, root: other })], 20, at);
    expect(c.problems).toEqual([
      expect.objectContaining({ reason: 'rewritten', anchor: 'witness w1', size: 10 }),
    ]);
    expect(c.checkedAgainst[0].result).toBe('rewritten');
  });

  it('reports a truncation when the log holds fewer entries than an anchor, even by its size alone', () => {
    const c = compareHistory([anchor({ source: 'log_witness_state', size: 25, signedBy: [] })], 20, at);
    expect(c.problems).toEqual([
      expect.objectContaining({ reason: 'truncated', anchor: 'log_witness_state w1', size: 25 }),
    ]);
  });

  it('reports a fork for two signed anchors of one size with different roots, first', () => {
    const c = compareHistory(
      [
        anchor({ source: 'log_checkpoint', name: 'latest published', size: 10, root: good10 }),
        anchor({ name: 'w2', size: 10, root: other }),
      ],
      20,
      at,
    );
    expect(c.problems.map((p) => p.reason)).toEqual(['forked', 'rewritten']);
    expect(c.problems[0]).toMatchObject({ anchor: 'log_checkpoint latest published / witness w2', size: 10 });
  });

  it('does not call an unsigned disagreement a fork (it is a rewrite of the database)', () => {
    const c = compareHistory(
      [
        anchor({ size: 10, root: good10 }),
        anchor({ source: 'log_tree_head', name: '', size: 10, root: other, signedBy: [] }),
      ],
      20,
      at,
    );
    expect(c.problems.map((p) => p.reason)).toEqual(['rewritten']);
  });

  it('orders problems most serious first', () => {
    const p = (reason: 'rewritten' | 'truncated' | 'forked' | 'bad-checkpoint' | 'witness-unavailable') => ({
      reason,
      anchor: '',
      size: 0,
      detail: '',
    });
    expect(
      bySeverity([
        p('witness-unavailable'),
        p('rewritten'),
        p('bad-checkpoint'),
        p('forked'),
        p('truncated'),
      ]).map((x) => x.reason),
    ).toEqual(['forked', 'truncated', 'rewritten', 'bad-checkpoint', 'witness-unavailable']);
  });
});

describe('anchors from notes', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
  const log = new TestLog('broker.test.lu/access-log', [w1]).append(5);
  const keys: AnchorKeys = {
    log: new Ed25519NoteVerifier(log.signer.vkey),
    witnesses: [trusted(w1), trusted(w2)],
    origin: log.origin,
  };

  it('lists the log key and the trusted witnesses whose signatures verify', async () => {
    const made = anchorFromNote('file', 'f', await log.checkpoint(), keys);
    expect(made).toMatchObject({ ok: true, anchor: { size: 5, signedBy: [log.origin, w1.name] } });
  });

  it('refuses a note of another origin, one the log key did not sign, and a failing cosignature', async () => {
    expect(
      anchorFromNote('file', 'f', await log.checkpoint(), { ...keys, origin: 'x.test/log' }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/origin/),
    });
    const stranger = new TestLog(log.origin, [w1]).append(5);
    expect(anchorFromNote('file', 'f', await stranger.checkpoint(), keys)).toMatchObject({ ok: false });
    const note = await log.checkpoint();
    // a byte of w1's signature changed (its key ID kept): a known key whose signature fails
    const broken = note.replace(
      /(— witness\.test\.lu\/w1 .{30})(.)/,
      (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'),
    );
    expect(broken).not.toBe(note);
    expect(anchorFromNote('file', 'f', broken, keys).ok).toBe(false);
  });

  it('without the log key, lists no log signer but still the witnesses', async () => {
    const made = anchorFromNote('file', 'f', await log.checkpoint(), { ...keys, log: null });
    expect(made).toMatchObject({ ok: true, anchor: { signedBy: [w1.name] } });
  });

  it('reads the note of a checkpoint, a monitor state file or a tlog-proof', async () => {
    const note = await log.checkpoint();
    expect(checkpointNoteOf(note).note).toBe(note);
    expect(checkpointNoteOf(JSON.stringify({ note, vkey: log.signer.vkey }))).toEqual({
      note,
      vkey: log.signer.vkey,
    });
    const proof = formatTlogProof({
      index: 1,
      hashes: await log.tree.inclusionProof(1, 5),
      checkpoint: note,
    });
    expect(checkpointNoteOf(proof).note).toBe(note);
    expect(() => checkpointNoteOf('{"size": 3}')).toThrow(/note/);
  });

  it('checks a recorded witness state against the checkpoint of its size, by size only without one', async () => {
    const text = (await log.checkpoint(5, [])).replace(/\n$/, '');
    const body = w1.cosignatureLine(text.slice(0, text.indexOf('\n\n') + 1));
    const state = { name: w1.name, size: 5, cosignature: body };
    expect(witnessStateAnchor(state, `${text}\n`, keys)).toMatchObject({
      ok: true,
      anchor: { source: 'log_witness_state', size: 5, signedBy: [log.origin, w1.name] },
    });
    expect(witnessStateAnchor(state, null, keys)).toMatchObject({
      ok: true,
      anchor: { root: null, signedBy: [] },
    });
    const forged = { ...state, cosignature: w2.cosignatureLine('another text\n').replace(w2.name, w1.name) };
    expect(witnessStateAnchor(forged, `${text}\n`, keys).ok).toBe(false);
  });
});
