/**
 * The witness's decisions for add-checkpoint (https://c2sp.org/tlog-witness), in the spec's order:
 * 400 for a malformed body, 404 for an unknown origin, 403 when no trusted log key signed the
 * checkpoint, 400 when the old size is above the new one, 409 (with the witness's size as
 * text/x.tlog.size) when the old size is not the size it last cosigned, 422 when the consistency
 * proof fails, 409 for a different root at the same size; otherwise it persists the checkpoint,
 * then cosigns it. Requests for one origin are serialised, so that checking the old size and
 * storing the new checkpoint are atomic (no lost update, no rollback between two requests).
 *
 * The record never moves back or sideways: every accepted checkpoint is proved to extend the last
 * one, so after a log forks, none of its checkpoints is ever accepted again, across restarts too.
 */
import {
  type Ed25519Cosigner,
  Ed25519NoteVerifier,
  ED25519_NOTE_TYPE,
  emptyRoot,
  encodeBase64,
  NoteFormatError,
  parseAddCheckpointRequest,
  parseNote,
  parseVkey,
  TLOG_SIZE_CONTENT_TYPE,
  unixNow,
  verifyConsistency,
  verifyNote,
  type AddCheckpointRequest,
  type Vkey,
} from '@broker/transparency';
import type { WitnessLogState, WitnessStateStore } from './witness-state.store';

/** The HTTP answer to give. */
export interface WitnessAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** The few logger calls the witness makes (Fastify's pino logger fits). */
export interface WitnessLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WitnessServiceOptions {
  cosigner: Ed25519Cosigner;
  store: WitnessStateStore;
  /** Configured log keys (WITNESS_LOGS); the origin is each key's name. */
  logs: readonly Vkey[];
  /** Development without configured logs: pin the key offered with the first checkpoint of an origin. */
  trustOnFirstUse: boolean;
  logger: WitnessLogger;
  /** Seconds since the Epoch (default: now). */
  clock?: () => number;
}

const PLAIN = 'text/plain; charset=utf-8';
const answer = (status: number, body: string, contentType = PLAIN): WitnessAnswer => ({
  status,
  contentType,
  body: body.endsWith('\n') ? body : `${body}\n`,
});

interface TrustedKey {
  vkey: string;
  verifier: Ed25519NoteVerifier;
}

interface TrustedKeys {
  keys: TrustedKey[];
  /** True when the (one) key is to be pinned if this checkpoint is accepted (trust on first use). */
  pinning: boolean;
}

const trustedKey = (vkey: Vkey): TrustedKey => ({ vkey: vkey.text, verifier: new Ed25519NoteVerifier(vkey) });

/** Handles add-checkpoint for the logs this witness knows. */
export class WitnessService {
  private readonly configured = new Map<string, TrustedKey[]>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly clock: () => number;

  constructor(private readonly options: WitnessServiceOptions) {
    for (const vkey of options.logs) {
      const list = this.configured.get(vkey.name) ?? [];
      list.push(trustedKey(vkey));
      this.configured.set(vkey.name, list);
    }
    this.clock = options.clock ?? unixNow;
  }

  /** The witness's vkey (type 0x04). */
  get vkey(): string {
    return this.options.cosigner.vkey;
  }

  /** What the witness has cosigned, per origin. */
  logs(): { origin: string; size: number; cosignedAt: number; pinned: boolean }[] {
    return this.options.store
      .all()
      .map(({ origin, size, cosignedAt, pinned }) => ({ origin, size, cosignedAt, pinned }));
  }

  /**
   * The latest checkpoint this witness cosigned for `origin`, as the log sent it, followed by the
   * witness's cosignature line, remade for the time it cosigned (Ed25519 is deterministic: the same
   * line it answered then, as long as its key is the same); undefined for an origin it never cosigned.
   * Not part of C2SP tlog-witness (which has no read endpoint): the broker's own extension, so that
   * an auditor can compare the log with what the witness saw, which no one with the broker's
   * database can reset.
   */
  latestCosigned(origin: string): string | undefined {
    const state = this.options.store.get(origin);
    if (state === undefined) return undefined;
    const note = parseNote(state.checkpoint);
    return state.checkpoint + this.options.cosigner.cosignatureLine(note.text, state.cosignedAt);
  }

  /**
   * Handles one add-checkpoint body. `offeredLogVkey` is the log's vkey sent alongside (the
   * Log-Vkey header): read only in trust-on-first-use mode, for an origin not seen yet.
   */
  async addCheckpoint(body: string, offeredLogVkey?: string): Promise<WitnessAnswer> {
    let request: AddCheckpointRequest;
    try {
      request = parseAddCheckpointRequest(body);
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      return answer(400, error.message);
    }
    const { origin } = request.checkpoint;
    return this.serialised(origin, () => this.decide(request, offeredLogVkey));
  }

  private async decide(
    request: AddCheckpointRequest,
    offeredLogVkey: string | undefined,
  ): Promise<WitnessAnswer> {
    const { oldSize, proof, checkpoint } = request;
    const { origin, size, rootHash } = checkpoint;
    const state = this.options.store.get(origin);
    let trusted: TrustedKeys | undefined;
    try {
      trusted = this.trustedKeys(origin, state, offeredLogVkey);
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      return answer(400, `Log-Vkey: ${error.message}`);
    }
    if (trusted === undefined) return answer(404, `unknown log origin "${origin}"`);
    const verification = verifyNote(
      request.note,
      trusted.keys.map((k) => k.verifier),
    );
    if (!verification.ok) return answer(403, verification.reason);
    if (oldSize > size) return answer(400, `the old size ${oldSize} is above the checkpoint size ${size}`);
    const cosignedSize = state?.size ?? 0;
    if (oldSize !== cosignedSize) return answer(409, `${cosignedSize}\n`, TLOG_SIZE_CONTENT_TYPE);
    const cosignedRoot = state?.rootHash ?? emptyRoot();
    if (size === cosignedSize && state !== undefined && !rootHash.equals(cosignedRoot)) {
      return this.refuse(409, request, 'a different root hash at the size already cosigned: the log forked');
    }
    if (!verifyConsistency(oldSize, size, cosignedRoot, rootHash, proof)) {
      return this.refuse(
        422,
        request,
        `the consistency proof from size ${oldSize} to ${size} does not verify`,
      );
    }
    const verifiedBy = verification.verified[0].verifier;
    const logVkey = trusted.keys.find((k) => k.verifier === verifiedBy)?.vkey ?? '';
    const now = this.clock();
    // persisted before the cosignature exists: a crash after this point cannot let the log roll back
    const next: WitnessLogState = {
      origin,
      size,
      rootHash,
      checkpoint: request.noteText,
      logVkey,
      pinned: trusted.pinning || (state?.pinned ?? false),
      cosignedAt: now,
    };
    await this.options.store.save(next);
    if (trusted.pinning) {
      this.options.logger.warn(
        { origin, logVkey },
        'trust on first use: pinned the key of a log seen for the first time (development mode; set WITNESS_LOGS to name the logs)',
      );
    }
    this.options.logger.info({ origin, oldSize, size }, 'cosigned a checkpoint');
    return answer(200, this.options.cosigner.cosignatureLine(request.note.text, now));
  }

  private trustedKeys(
    origin: string,
    state: WitnessLogState | undefined,
    offered: string | undefined,
  ): TrustedKeys | undefined {
    const configured = this.configured.get(origin);
    if (configured !== undefined) return { keys: configured, pinning: false };
    if (!this.options.trustOnFirstUse) return undefined;
    if (state !== undefined) return { keys: [trustedKey(parseVkey(state.logVkey))], pinning: false };
    if (offered === undefined || offered.trim() === '') return undefined;
    const vkey = parseVkey(offered);
    if (vkey.type !== ED25519_NOTE_TYPE) throw new NoteFormatError('not a log key (type 0x01)');
    if (vkey.name !== origin)
      throw new NoteFormatError(`the key is named "${vkey.name}", not after the origin`);
    return { keys: [trustedKey(vkey)], pinning: true };
  }

  /** Refuses a checkpoint its log signed, keeping it as evidence: it may prove the log misbehaved. */
  private async refuse(
    status: number,
    request: AddCheckpointRequest,
    reason: string,
  ): Promise<WitnessAnswer> {
    const { origin, size } = request.checkpoint;
    this.options.logger.warn(
      { origin, oldSize: request.oldSize, size, reason },
      'refused a signed checkpoint',
    );
    try {
      await this.options.store.recordRefusal(origin, {
        at: this.clock(),
        reason,
        oldSize: request.oldSize,
        proof: request.proof.map(encodeBase64),
        checkpoint: request.noteText,
      });
    } catch (error) {
      this.options.logger.error(
        { origin, message: (error as Error).message },
        'could not record the refused checkpoint',
      );
    }
    return answer(status, reason);
  }

  /** Runs `work` after every earlier call for the same origin has finished. */
  private async serialised<T>(origin: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(origin) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.catch(() => undefined);
    this.queues.set(origin, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(origin) === tail) this.queues.delete(origin);
    }
  }
}
