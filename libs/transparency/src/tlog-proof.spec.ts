import { generateKeyPairSync } from 'node:crypto';
import { formatCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint';
import {
  addCosignatures,
  cosignatureTimestamp,
  CosignatureV1Verifier,
  cosignedMessage,
  Ed25519Cosigner,
} from './cosignature';
import { leafHash } from './hashes';
import { InMemoryMerkleTree } from './memory-tree';
import { NoteFormatError } from './note-format-error';
import { Ed25519NoteSigner } from './note-keys';
import { parseNote, verifyNote } from './signed-note';
import { formatTlogProof, parseTlogProof, TLOG_PROOF_HEADER, verifyTlogProof } from './tlog-proof';

const newKey = () => generateKeyPairSync('ed25519').privateKey;
const ORIGIN = 'broker.example/log';
const log = new Ed25519NoteSigner(ORIGIN, newKey());
const w1 = new Ed25519Cosigner('witness-1.example', newKey(), () => 1_700_000_000);
const w2 = new Ed25519Cosigner('witness-2.example', newKey(), () => 1_700_000_001);
const leaves = Array.from({ length: 13 }, (_, i) => Buffer.from(`entry ${i} salt ${i * 7}`));

async function cosignedCheckpoint(tree: InMemoryMerkleTree, cosigners = [w1, w2]): Promise<string> {
  const note = signCheckpoint(
    { origin: ORIGIN, size: tree.size, rootHash: await tree.root(), extensions: [] },
    log,
  );
  const text = parseNote(note).text;
  return note + cosigners.map((w) => w.cosignatureLine(text)).join('');
}

async function proofFor(index: number, cosigners = [w1, w2]): Promise<string> {
  const tree = new InMemoryMerkleTree();
  tree.appendData(leaves);
  return formatTlogProof({
    extra: leaves[index],
    index,
    hashes: await tree.inclusionProof(index),
    checkpoint: await cosignedCheckpoint(tree, cosigners),
  });
}

const policy = { log: log.vkey, witnesses: [w1.vkey, w2.vkey], quorum: 2 };

describe('checkpoints', () => {
  const root = Buffer.alloc(32, 9);

  it('format origin, size and base64 root, one per line', () => {
    expect(formatCheckpoint({ origin: ORIGIN, size: 20852163, rootHash: root })).toBe(
      `${ORIGIN}\n20852163\n${root.toString('base64')}\n`,
    );
  });

  it('parse back, extension lines included', () => {
    const text = formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: root, extensions: ['ext one'] });
    expect(parseCheckpoint(text)).toEqual({
      origin: ORIGIN,
      size: 0,
      rootHash: root,
      extensions: ['ext one'],
    });
  });

  it.each([
    ['two lines', `${ORIGIN}\n1\n`],
    ['a leading zero', `${ORIGIN}\n01\n${root.toString('base64')}\n`],
    ['a negative size', `${ORIGIN}\n-1\n${root.toString('base64')}\n`],
    ['a root of 31 bytes', `${ORIGIN}\n1\n${root.subarray(1).toString('base64')}\n`],
    ['an empty extension line', `${ORIGIN}\n1\n${root.toString('base64')}\n\n`],
    ['an empty origin', `\n1\n${root.toString('base64')}\n`],
    ['no final newline', `${ORIGIN}\n1\n${root.toString('base64')}`],
  ])('refuse %s', (_label, text) => {
    expect(() => parseCheckpoint(text)).toThrow(NoteFormatError);
  });
});

describe('cosignatures', () => {
  const text = formatCheckpoint({ origin: ORIGIN, size: 5, rootHash: Buffer.alloc(32, 3) });

  it('sign cosignature/v1, the time line and the note text', () => {
    expect(cosignedMessage(Buffer.from(text), 1679315147).toString()).toBe(
      `cosignature/v1\ntime 1679315147\n${text}`,
    );
    const line = w1.cosignatureLine(text);
    const [sig] = parseNote(`${text}\n${line}`).signatures;
    expect(sig.signature).toHaveLength(72);
    expect(cosignatureTimestamp(sig.signature)).toBe(1_700_000_000);
    expect(verifyNote(`${text}\n${line}`, [new CosignatureV1Verifier(w1.vkey)]).ok).toBe(true);
  });

  it('do not verify under another timestamp', () => {
    const raw = w1.signAt(Buffer.from(text), 100);
    raw.writeBigUInt64BE(101n, 0);
    const verifier = new CosignatureV1Verifier(w1.vkey);
    expect(verifier.verify(Buffer.from(text), raw)).toBe(false);
    expect(verifier.verify(Buffer.from(text), w1.signAt(Buffer.from(text), 100))).toBe(true);
  });

  it("are merged into the log's note when they come from a trusted witness", () => {
    const note = signCheckpoint(parseCheckpoint(text), log);
    const stranger = new Ed25519Cosigner('stranger.example', newKey());
    const response = w1.cosignatureLine(text) + stranger.cosignatureLine(text);
    const merged = addCosignatures(note, response, [new CosignatureV1Verifier(w1.vkey)]);
    expect(merged.ok && merged.witnesses).toEqual([w1.name]);
    expect(merged.ok && parseNote(merged.note).signatures.map((s) => s.name)).toEqual([ORIGIN, w1.name]);
    const forged = addCosignatures(note, response.replace(/\S{4}\n/, 'AAAA\n'), [
      new CosignatureV1Verifier(w1.vkey),
    ]);
    expect(forged).toMatchObject({ ok: false });
    expect(addCosignatures(note, 'garbage\n', [new CosignatureV1Verifier(w1.vkey)])).toMatchObject({
      ok: false,
    });
  });
});

describe('tlog-proofs', () => {
  it('format as the spec shows: header, extra, index, hashes, blank line, checkpoint', async () => {
    const text = await proofFor(5);
    const lines = text.split('\n');
    expect(lines[0]).toBe(TLOG_PROOF_HEADER);
    expect(lines[1]).toBe(`extra ${leaves[5].toString('base64')}`);
    expect(lines[2]).toBe('index 5');
    const blank = lines.indexOf('');
    expect(lines.slice(3, blank).every((l) => Buffer.from(l, 'base64').length === 32)).toBe(true);
    expect(lines[blank + 1]).toBe(ORIGIN);
    const parsed = parseTlogProof(text);
    expect(formatTlogProof(parsed)).toBe(text);
  });

  it('verify for every leaf, naming the witnesses', async () => {
    for (let i = 0; i < leaves.length; i++) {
      const result = verifyTlogProof(await proofFor(i), policy);
      expect(result).toMatchObject({ ok: true, index: i, witnesses: [w1.name, w2.name] });
      expect(result.ok && result.leafHash.equals(leafHash(leaves[i]))).toBe(true);
    }
  });

  it('verify without an extra line when the caller has the leaf', async () => {
    const { extra: _extra, ...rest } = parseTlogProof(await proofFor(3));
    const bare = formatTlogProof(rest);
    expect(bare.split('\n')[1]).toBe('index 3');
    expect(verifyTlogProof(bare, policy, leaves[3]).ok).toBe(true);
    expect(verifyTlogProof(bare, policy)).toMatchObject({ ok: false, code: 'NO_LEAF_DATA' });
  });

  describe('fail with a one-line reason when', () => {
    const expectRejected = (result: ReturnType<typeof verifyTlogProof>, code: string) => {
      expect(result).toMatchObject({ ok: false, code });
      expect(!result.ok && result.reason).not.toMatch(/\n/);
    };

    it('the leaf is tampered with', async () => {
      const text = await proofFor(4);
      expectRejected(verifyTlogProof(text, policy, Buffer.from('someone else')), 'INCLUSION');
      const other = text.replace(
        `extra ${leaves[4].toString('base64')}`,
        `extra ${leaves[5].toString('base64')}`,
      );
      expectRejected(verifyTlogProof(other, policy), 'INCLUSION');
    });

    it('the index or a hash is tampered with', async () => {
      const text = await proofFor(4);
      expectRejected(verifyTlogProof(text.replace('index 4', 'index 5'), policy), 'INCLUSION');
      const lines = text.split('\n');
      const hash = Buffer.from(lines[3], 'base64');
      hash[0] ^= 1;
      lines[3] = hash.toString('base64');
      expectRejected(verifyTlogProof(lines.join('\n'), policy), 'INCLUSION');
      expectRejected(verifyTlogProof(text.replace(`${lines[4]}\n`, ''), policy), 'INCLUSION');
    });

    it('the checkpoint is changed (its signatures no longer verify)', async () => {
      const text = await proofFor(4);
      expectRejected(
        verifyTlogProof(text.replace(`\n${ORIGIN}\n13\n`, `\n${ORIGIN}\n12\n`), policy),
        'BAD_SIGNATURE',
      );
    });

    it('another log signed it', async () => {
      const other = new Ed25519NoteSigner(ORIGIN, newKey());
      expectRejected(verifyTlogProof(await proofFor(4), { ...policy, log: other.vkey }), 'LOG_SIGNATURE');
      const elsewhere = new Ed25519NoteSigner('elsewhere.example', newKey());
      expectRejected(verifyTlogProof(await proofFor(4), { ...policy, log: elsewhere.vkey }), 'ORIGIN');
    });

    it('too few trusted witnesses cosigned', async () => {
      expectRejected(verifyTlogProof(await proofFor(4, [w1]), policy), 'QUORUM');
      expect(verifyTlogProof(await proofFor(4, [w1]), { ...policy, quorum: 1 }).ok).toBe(true);
      const stranger = new Ed25519Cosigner('stranger.example', newKey());
      expectRejected(verifyTlogProof(await proofFor(4, [w1, stranger]), policy), 'QUORUM');
      // the same witness twice counts once
      expectRejected(
        verifyTlogProof(await proofFor(4, [w1, w1]), { ...policy, witnesses: [w1.vkey, w1.vkey] }),
        'QUORUM',
      );
    });

    it('it is not a tlog-proof', async () => {
      const text = await proofFor(4);
      expectRejected(
        verifyTlogProof(text.replace(TLOG_PROOF_HEADER, 'c2sp.org/tlog-proof@v2'), policy),
        'MALFORMED',
      );
      expectRejected(verifyTlogProof(text.replace('index 4', 'index 04'), policy), 'MALFORMED');
      expectRejected(verifyTlogProof(text.replace('\n\n', '\n'), policy), 'MALFORMED');
      expectRejected(verifyTlogProof(text.replace(/^extra (\S+)$/m, 'extra %%'), policy), 'MALFORMED');
      expectRejected(verifyTlogProof('', policy), 'MALFORMED');
    });

    it('the policy is wrong', async () => {
      const text = await proofFor(4);
      expectRejected(verifyTlogProof(text, { ...policy, log: w1.vkey }), 'POLICY');
      expectRejected(verifyTlogProof(text, { ...policy, witnesses: [log.vkey] }), 'POLICY');
      expectRejected(verifyTlogProof(text, { ...policy, quorum: -1 }), 'POLICY');
    });
  });
});
