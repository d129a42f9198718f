import { generateKeyPairSync } from 'node:crypto';
import { signCheckpoint } from './checkpoint';
import { InMemoryMerkleTree } from './memory-tree';
import { NoteFormatError } from './note-format-error';
import { Ed25519NoteSigner } from './note-keys';
import {
  formatAddCheckpointRequest,
  MAX_CONSISTENCY_PROOF_LINES,
  parseAddCheckpointRequest,
  parseTlogSize,
} from './witness-protocol';

describe('tlog-witness texts', () => {
  const signer = new Ed25519NoteSigner('broker.example/log', generateKeyPairSync('ed25519').privateKey);

  it('round-trip an add-checkpoint body: old line, proof lines, empty line, checkpoint', async () => {
    const tree = new InMemoryMerkleTree();
    tree.appendData(Array.from({ length: 11 }, (_, i) => Buffer.from(`e${i}`)));
    const proof = await tree.consistencyProof(6);
    const note = signCheckpoint(
      { origin: signer.name, size: 11, rootHash: await tree.root(), extensions: [] },
      signer,
    );
    const body = formatAddCheckpointRequest(6, proof, note);
    expect(body.startsWith(`old 6\n${proof[0].toString('base64')}\n`)).toBe(true);
    expect(body.endsWith(`\n\n${note}`)).toBe(true);
    const parsed = parseAddCheckpointRequest(body);
    expect(parsed.oldSize).toBe(6);
    expect(parsed.proof.map((h) => h.toString('hex'))).toEqual(proof.map((h) => h.toString('hex')));
    expect(parsed.noteText).toBe(note);
    expect(parsed.checkpoint).toMatchObject({ origin: signer.name, size: 11 });
    expect(formatAddCheckpointRequest(0, [], note)).toBe(`old 0\n\n${note}`);
  });

  it('refuse what a witness must not accept', () => {
    expect(() => formatAddCheckpointRequest(-1, [], '')).toThrow(RangeError);
    expect(() =>
      formatAddCheckpointRequest(1, Array(MAX_CONSISTENCY_PROOF_LINES + 1).fill(Buffer.alloc(32)), ''),
    ).toThrow(RangeError);
    expect(() => parseAddCheckpointRequest('old 1\n')).toThrow(NoteFormatError);
  });

  it('read the size of a 409 answer', () => {
    expect(parseTlogSize('20852014\n')).toBe(20852014);
    expect(() => parseTlogSize('12')).toThrow(NoteFormatError);
    expect(() => parseTlogSize('012\n')).toThrow(NoteFormatError);
  });
});
