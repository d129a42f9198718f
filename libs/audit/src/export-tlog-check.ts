import {
  MultiProofVerifier,
  NoteFormatError,
  decodeBase64,
  parseCheckpoint,
  parseNote,
  verifyCheckpointNote,
  type Checkpoint,
  type TlogProofPolicy,
} from '@broker/transparency';
import type { ExportLine, ManifestClaims } from './export-format';
import type { Problems } from './export-verify-report';
import { leafIndexProblem, lineProblemText } from './export-line-rules';

/** What `audit verify` found about the export's anchor in the witnessed transparency log. */
export interface TlogVerdict {
  /** True when the lines and the manifest's proof give the root of its cosigned checkpoint. */
  anchored: boolean;
  /** The checkpoint's size and origin, when the manifest has one. */
  size?: number;
  origin?: string;
  /** True when the checkpoint's log signature and witness quorum were checked against the keys given. */
  signaturesChecked: boolean;
  /** Trusted witnesses whose cosignature verified (when checked). */
  witnesses?: string[];
}

/**
 * Checks an export against the transparency-log anchor of its manifest, line by line as the
 * file streams: each line's `leafIndex` (= seq − 1), and its leaf hash (SHA-256(0x00 ‖ the
 * canonical document the chain hash covers)) pushed into a multi-leaf proof verifier. Keeps 32
 * bytes per proof hash and a few frames, never the lines. With a policy (`--log-vkey`,
 * `--witness-vkey`, `--quorum`) it also checks the checkpoint's signature and cosignatures.
 */
export class TlogCheck {
  private readonly newFormat: boolean;
  private readonly checkpoint?: Checkpoint;
  private readonly verifier?: MultiProofVerifier;
  private witnesses?: string[];
  private signaturesOk = false;

  constructor(
    private readonly problems: Problems,
    private readonly manifest: ManifestClaims | undefined,
    private readonly policy: TlogProofPolicy | undefined,
    private readonly notes: string[],
  ) {
    const t = manifest?.tlog;
    this.newFormat = t !== undefined;
    if (!t) {
      if (manifest) this.notAnchored('the manifest predates the transparency log (no tlog anchor)');
      return;
    }
    if (t.checkpoint === null) {
      this.notAnchored(t.reason);
      return;
    }
    try {
      this.checkpoint = parseCheckpoint(parseNote(t.checkpoint).text);
    } catch (e) {
      if (!(e instanceof NoteFormatError)) throw e;
      this.problems.add(null, `transparency log: the manifest's checkpoint is malformed: ${e.message}`);
      return;
    }
    const cp = this.checkpoint;
    if (cp.size !== t.size) {
      this.problems.add(
        null,
        `transparency log: the manifest says size ${t.size}, its checkpoint ${cp.size}`,
      );
    }
    if (manifest && BigInt(cp.size) < BigInt(manifest.headSeq)) {
      this.problems.add(
        null,
        `transparency log: the checkpoint (size ${cp.size}) does not cover the export's cut at seq ${manifest.headSeq}`,
      );
    }
    if (manifest && cp.origin !== manifest.iss) {
      this.problems.add(
        null,
        `transparency log: the checkpoint's origin ${cp.origin} is not the manifest issuer ${manifest.iss}`,
      );
    }
    if (policy) {
      const v = verifyCheckpointNote(t.checkpoint, policy);
      if (!v.ok) {
        this.problems.add(null, `transparency log: checkpoint refused: ${v.reason} (${v.code})`);
      } else {
        this.signaturesOk = true;
        this.witnesses = [...v.witnesses];
      }
    }
    let proof: Buffer[];
    try {
      proof = t.proof.map((h, i) => decodeBase64(h, `proof hash ${i + 1}`));
    } catch (e) {
      if (!(e instanceof NoteFormatError)) throw e;
      this.problems.add(null, `transparency log: ${e.message}`);
      return;
    }
    this.verifier = new MultiProofVerifier(cp.size, proof);
  }

  /** A line whose hash was computed (`leaf`: SHA-256(0x00 ‖ its canonical document)). */
  push(n: number, line: ExportLine, leaf: Buffer): void {
    const problem = leafIndexProblem(n, line, this.newFormat);
    if (problem) this.problems.add(n, lineProblemText(problem));
    this.verifier?.push(Number(BigInt(line.seq as string) - 1n), leaf);
  }

  /** What a worker thread's range needs: whether lines need a leafIndex, and the tree's size if there is one to check. */
  get rangeParams(): { leafIndexRequired: boolean; treeSize: number | null } {
    return { leafIndexRequired: this.newFormat, treeSize: this.verifier ? this.verifier.size : null };
  }

  /**
   * The leaves of a worker thread's range, as aligned subtrees (start index, width, 32-byte hash
   * each, in order); their leafIndex problems came with the range's other line problems.
   */
  pushSubtrees(starts: Float64Array, widths: Float64Array, hashes: Uint8Array): void {
    const v = this.verifier;
    if (!v) return;
    for (let i = 0; i < starts.length; i++)
      v.pushSubtree(starts[i], widths[i], hashes.subarray(i * 32, i * 32 + 32));
  }

  /** Compares the recomputed root with the checkpoint's and writes the verdict. */
  finish(): TlogVerdict | undefined {
    const cp = this.checkpoint;
    if (!this.verifier || !cp)
      return this.newFormat || this.policy ? { anchored: false, signaturesChecked: false } : undefined;
    const r = this.verifier.verify(cp.rootHash);
    const verdict: TlogVerdict = {
      anchored: r.ok,
      size: cp.size,
      origin: cp.origin,
      signaturesChecked: this.signaturesOk,
      ...(this.witnesses ? { witnesses: this.witnesses } : {}),
    };
    if (!r.ok) {
      this.problems.add(
        null,
        `transparency log: the exported lines are not in the log as witnessed at size ${cp.size}: ${r.reason}`,
      );
      verdict.anchored = false;
      return verdict;
    }
    const count = this.verifier.leaves;
    const what = count === cp.size ? 'every leaf' : `${count} of the ${cp.size} leaves`;
    if (this.signaturesOk) {
      const by = this.witnesses?.length ? this.witnesses.join(', ') : 'no witness (quorum 0)';
      this.notes.push(
        `anchored in the transparency log: checkpoint ${cp.origin} size ${cp.size}, cosigned by ${by}; ` +
          `the lines are ${what} of its tree`,
      );
    } else if (!this.policy) {
      this.notes.push(
        `the lines are ${what} of the tree of checkpoint ${cp.origin} size ${cp.size} (the tree math holds); ` +
          "the checkpoint's signatures were not checked: pass --log-vkey and --witness-vkey to check them",
      );
    }
    return verdict;
  }

  private notAnchored(reason: string): void {
    const message = `not anchored in the transparency log: ${reason}`;
    // asked to check against the log's keys, an unanchored export fails; otherwise it is a note
    if (this.policy) this.problems.add(null, message);
    else this.notes.push(message);
  }
}
