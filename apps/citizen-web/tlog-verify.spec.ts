/**
 * The citizen page's in-browser tlog-proof verifier (public/assets/tlog-verify.js, WebCrypto
 * only), run here on Node's WebCrypto against proofs made by @broker/transparency, and compared
 * with that library's own verifyTlogProof on every case.
 */
import { randomBytes } from 'node:crypto';
import {
  Ed25519Cosigner,
  Ed25519NoteSigner,
  formatCheckpoint,
  inclusionRoot as libInclusionRoot,
  leafHash,
  signNote,
  verifyTlogProof as libVerify,
} from '@broker/transparency';
import { TestLog, testKey } from '../../test/support/test-tlog';

interface LogTrust {
  origin: string;
  logVkey: string;
  quorum: number;
  witnesses: { name: string; vkey: string }[];
}
interface ExpectedEntry {
  id: string;
  occurredAt: string;
  outcome?: string;
  memberId?: string;
  consentJti?: string | null;
}
interface ProofResult {
  ok: boolean;
  code?: string;
  reason: string;
  index?: number;
  size?: number;
  witnesses: string[];
  entry?: Record<string, unknown>;
}
interface TlogVerifyModule {
  verifyTlogProof(text: string, trust: LogTrust, expected?: ExpectedEntry): Promise<ProofResult>;
  inclusionRoot(
    index: number,
    size: number,
    leaf: Uint8Array,
    proof: Uint8Array[],
  ): Promise<Uint8Array | null>;
}

// the page's ES module, as the browser loads it (jest's swc transform makes it CommonJS)
const MODULE = '../citizen-web/public/assets/tlog-verify.js';
let web: TlogVerifyModule;

const ORIGIN = 'broker.test.lu/access-log';
const t0 = Date.parse('2026-03-01T10:00:00.000Z');

/** An access-log entry's leaf, as the broker writes it (fields that matter here). */
function entryLeaf(seq: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: 1,
      seq: String(seq),
      occurredAt: new Date(t0 + seq * 1000).toISOString(),
      channel: 'sync',
      memberId: seq % 2 ? 'm1' : 'm2',
      consentJti: `jti-${seq}`,
      subject: '1990010100011',
      outcome: 'DISCLOSED',
      correlationId: `corr-${seq}`,
      salt: randomBytes(16).toString('base64url'),
    }),
  );
}

/** What the page shows of entry `seq`. */
const shown = (seq: number): ExpectedEntry => ({
  id: String(seq),
  occurredAt: new Date(t0 + seq * 1000).toISOString(),
  outcome: 'DISCLOSED',
  memberId: seq % 2 ? 'm1' : 'm2',
  consentJti: `jti-${seq}`,
});

describe('tlog-verify.js (the citizen page verifier)', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
  const log = new TestLog(ORIGIN, [w1]);
  const trust = (over: Partial<LogTrust> = {}): LogTrust => ({
    origin: ORIGIN,
    logVkey: log.signer.vkey,
    quorum: 1,
    witnesses: [{ name: w1.name, vkey: w1.vkey }],
    ...over,
  });
  /** The library's verdict for the same proof and trust. */
  const lib = (text: string, tr: LogTrust) =>
    libVerify(text, { log: tr.logVkey, witnesses: tr.witnesses.map((w) => w.vkey), quorum: tr.quorum });

  beforeAll(async () => {
    web = (await import(MODULE)) as TlogVerifyModule;
    // leaves 0..36: entries seq 1..37
    const data = Array.from({ length: 37 }, (_, i) => entryLeaf(i + 1));
    log.leaves.push(...data);
    log.tree.appendData(data);
  });

  it('accepts proofs of every leaf at several tree sizes, as the library does, naming the witness', async () => {
    for (const size of [1, 2, 3, 7, 8, 13, 32, 37]) {
      const checkpoint = await log.checkpoint(size);
      for (let index = 0; index < size; index++) {
        const text = await log.proof(index, size, checkpoint);
        const r = await web.verifyTlogProof(text, trust(), shown(index + 1));
        expect({ size, index, ...r, entry: undefined }).toEqual({
          size,
          index,
          ok: true,
          reason: '',
          witnesses: [w1.name],
          entry: undefined,
        });
        expect(r.entry).toMatchObject({ seq: String(index + 1), correlationId: `corr-${index + 1}` });
        expect(lib(text, trust()).ok).toBe(true);
      }
    }
  });

  it('computes the same roots as @broker/transparency for paths of big trees (10 million leaves)', async () => {
    for (const [index, size] of [
      [0, 10_000_000],
      [9_999_999, 10_000_000],
      [4_194_303, 10_000_000],
      [2 ** 40 + 5, 2 ** 41 + 3],
    ]) {
      const leaf = leafHash(randomBytes(40));
      const path = [];
      // as many hashes as the path needs: feed the library until it says the path fits
      while (libInclusionRoot(index, size, leaf, path) === null && path.length < 64)
        path.push(randomBytes(32));
      const want = libInclusionRoot(index, size, leaf, path);
      expect(want).not.toBeNull();
      expect(Buffer.from((await web.inclusionRoot(index, size, leaf, path))!)).toEqual(Buffer.from(want!));
      // one hash too few or too many does not fit
      expect(await web.inclusionRoot(index, size, leaf, path.slice(1))).toBeNull();
      expect(await web.inclusionRoot(index, size, leaf, [...path, randomBytes(32)])).toBeNull();
    }
  });

  /** A valid proof of entry seq 5 in the tree of 37, edited by `edit`. */
  async function refused(
    edit: (text: string) => string | Promise<string>,
    tr = trust(),
    expected: ExpectedEntry | undefined = shown(5),
  ): Promise<ProofResult> {
    const text = await edit(await log.proof(4, 37));
    const r = await web.verifyTlogProof(text, tr, expected);
    expect(r.ok).toBe(false);
    return r;
  }

  it('refuses a changed leaf (the extra line), one byte flipped', async () => {
    const r = await refused((text) => {
      const line = text.split('\n')[1];
      const bytes = Buffer.from(line.slice('extra '.length), 'base64');
      bytes[bytes.indexOf('DISCLOSED')] ^= 0x01;
      return text.replace(line, `extra ${bytes.toString('base64')}`);
    });
    expect(r).toMatchObject({ code: 'INCLUSION', index: 4, size: 37 });
  });

  it('refuses a proof whose index or hashes were changed', async () => {
    expect((await refused((t) => t.replace('\nindex 4\n', '\nindex 5\n'))).code).toBe('INCLUSION');
    expect(
      (
        await refused((t) =>
          t.replace(/\nindex 4\n[^\n]+\n/, (m) => `${m.split('\n').slice(0, 2).join('\n')}\n`),
        )
      ).code,
    ).toBe('INCLUSION');
  });

  it("refuses a valid proof of someone else's entry, or of another entry", async () => {
    // a proof that verifies (leaf 6 = seq 7), shown beside entry 5
    const other = await log.proof(6, 37);
    expect((await web.verifyTlogProof(other, trust())).ok).toBe(true);
    const r = await web.verifyTlogProof(other, trust(), shown(5));
    expect(r).toMatchObject({ ok: false, code: 'NOT_THIS_ENTRY' });
    expect(r.reason).toContain('entry 7, not of entry 5');
    // the right seq but another time, outcome, requester or consent
    for (const change of [
      { occurredAt: new Date(t0).toISOString() },
      { outcome: 'REFUSED' },
      { memberId: 'm2' },
      { consentJti: null },
    ]) {
      expect(await refused((t) => t, trust(), { ...shown(5), ...change })).toMatchObject({
        code: 'NOT_THIS_ENTRY',
      });
    }
  });

  it('refuses a checkpoint cosigned only by a witness it does not trust (wrong witness key)', async () => {
    const stranger = new Ed25519Cosigner(w1.name, testKey());
    const tr = trust({ witnesses: [{ name: stranger.name, vkey: stranger.vkey }] });
    const r = await refused((t) => t, tr);
    expect(r).toMatchObject({ code: 'QUORUM' });
    expect(lib(await log.proof(4, 37), tr)).toMatchObject({ ok: false, code: 'QUORUM' });
  });

  it('refuses when the quorum is not met: two trusted witnesses, quorum 2, one cosigned', async () => {
    const tr = trust({
      quorum: 2,
      witnesses: [
        { name: w1.name, vkey: w1.vkey },
        { name: w2.name, vkey: w2.vkey },
      ],
    });
    const r = await refused((t) => t, tr);
    expect(r).toMatchObject({ code: 'QUORUM' });
    expect(r.reason).toContain('quorum is 2');
    // both cosign: accepted, both named
    const both = await log.proof(4, 37, await log.checkpoint(37, [w1, w2]));
    const ok = await web.verifyTlogProof(both, tr, shown(5));
    expect(ok).toMatchObject({ ok: true, witnesses: [w1.name, w2.name] });
  });

  it("refuses a trusted witness's cosignature that does not verify, and a checkpoint not signed by the log", async () => {
    const badCosig = await refused((t) => {
      const line = t.split('\n').find((l) => l.startsWith(`— ${w1.name} `))!;
      const raw = Buffer.from(line.split(' ')[2], 'base64');
      raw[raw.length - 1] ^= 0x80;
      return t.replace(line, `— ${w1.name} ${raw.toString('base64')}`);
    });
    expect(badCosig.code).toBe('BAD_SIGNATURE');

    const impostor = new Ed25519NoteSigner(ORIGIN, testKey());
    const r = await refused(async (t) => {
      const body = formatCheckpoint({ origin: ORIGIN, size: 37, rootHash: await log.tree.root(37) });
      const note = signNote(body, [impostor]) + w1.cosignatureLine(body);
      return t.slice(0, t.indexOf('\n\n') + 2) + note;
    });
    expect(r.code).toBe('LOG_SIGNATURE');
  });

  it('refuses another origin, a malformed proof, and a trust document that is not one', async () => {
    const other = new TestLog('other.test.lu/log', [w1]);
    other.append(3);
    expect(await web.verifyTlogProof(await other.proof(1), trust())).toMatchObject({
      ok: false,
      code: 'ORIGIN',
    });
    for (const bad of [
      (t: string) => t.replace('c2sp.org/tlog-proof@v1', 'c2sp.org/tlog-proof@v2'),
      (t: string) => t.replace(/^extra (\S+)=?$/m, 'extra $1!'),
      (t: string) => t.replace(/\n\n/, '\n'),
      (t: string) => t.slice(0, -1),
    ]) {
      expect((await refused(bad)).code).toBe('MALFORMED');
    }
    expect((await refused((t) => t, trust({ logVkey: 'not a vkey' }))).code).toBe('POLICY');
    expect((await refused((t) => t, trust({ logVkey: w1.vkey }))).code).toBe('POLICY');
  });

  it('refuses a proof without leaf data', async () => {
    const r = await refused((t) => t.replace(/^extra .*\n/m, ''));
    expect(r.code).toBe('NO_LEAF_DATA');
  });
});
