import {
  ADD_CHECKPOINT_PATH,
  CosignatureV1Verifier,
  TLOG_SIZE_CONTENT_TYPE,
  addCosignatures,
  formatAddCheckpointRequest,
  parseTlogSize,
} from '@broker/transparency';
import type { TrustedWitness } from '@broker/trust';

/** A checkpoint to have cosigned: its size and the broker-signed note. */
export interface CheckpointToCosign {
  size: number;
  note: string;
}

/** How one witness answered a checkpoint. */
export type WitnessOutcome =
  /** It cosigned: `note` is the checkpoint note with its cosignature line added. */
  | { kind: 'cosigned'; note: string; cosignature: string }
  /** It refused (another history, a failing proof, an unknown or untrusted log key): keep trying later. */
  | { kind: 'refused'; reason: string; witnessSize?: number }
  /** It did not answer usefully (network, timeout, 5xx). */
  | { kind: 'unreachable'; reason: string };

/** The consistency proof from `old` to the checkpoint's size (empty from 0). */
export type ProofFrom = (oldSize: number, newSize: number) => Promise<Buffer[]>;

/**
 * The broker as a client of one witness (C2SP tlog-witness): POST add-checkpoint with the size
 * the witness last cosigned and a consistency proof from it; on 409 with its own size, once more
 * from that size. Always offers the broker's vkey (`Log-Vkey`) for a development witness's trust on
 * first use; a configured witness ignores it.
 */
export class WitnessClient {
  private readonly verifier: CosignatureV1Verifier;

  constructor(
    readonly witness: TrustedWitness,
    private readonly logVkey: string,
    private readonly timeoutMs: number,
  ) {
    this.verifier = new CosignatureV1Verifier(witness.vkey.text);
  }

  get name(): string {
    return this.witness.name;
  }

  /** Asks the witness to cosign `cp`, believing it holds `knownSize`. */
  async cosign(cp: CheckpointToCosign, knownSize: number, proofFrom: ProofFrom): Promise<WitnessOutcome> {
    let old = knownSize > cp.size ? 0 : knownSize;
    for (let attempt = 0; attempt < 2; attempt++) {
      let res: Response;
      let body: string;
      try {
        const proof = old === 0 ? [] : await proofFrom(old, cp.size);
        res = await fetch(`${this.witness.url}${ADD_CHECKPOINT_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8', 'log-vkey': this.logVkey },
          body: formatAddCheckpointRequest(old, proof, cp.note),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        body = await res.text();
      } catch (e) {
        return { kind: 'unreachable', reason: (e as Error).message };
      }
      if (res.status === 200) {
        const merged = addCosignatures(cp.note, body, [this.verifier]);
        if (!merged.ok) return { kind: 'refused', reason: `its answer does not verify: ${merged.reason}` };
        if (!merged.witnesses.includes(this.witness.name))
          return { kind: 'refused', reason: 'its answer holds no cosignature of its key' };
        return { kind: 'cosigned', note: merged.note, cosignature: body };
      }
      const type = res.headers.get('content-type') ?? '';
      if (res.status === 409 && type.startsWith(TLOG_SIZE_CONTENT_TYPE)) {
        let size: number;
        try {
          size = parseTlogSize(body);
        } catch {
          return { kind: 'refused', reason: 'a 409 whose size does not parse' };
        }
        // a witness ahead of the log has seen another (longer) history: a fork or a rollback
        if (size > cp.size)
          return { kind: 'refused', reason: `it holds size ${size}, above ours`, witnessSize: size };
        if (attempt === 0 && size !== old) {
          old = size;
          continue;
        }
        return { kind: 'refused', reason: `size mismatch again (it holds ${size})`, witnessSize: size };
      }
      if (res.status >= 500) return { kind: 'unreachable', reason: `HTTP ${res.status}` };
      // 409 text/plain (another root at its size), 422 (the proof fails), 403/404 (our key or origin), 400/413
      return {
        kind: 'refused',
        reason: `HTTP ${res.status}: ${body.slice(0, 200).replace(/\s+/g, ' ').trim()}`,
      };
    }
    return { kind: 'refused', reason: 'no answer after the retry' };
  }
}
