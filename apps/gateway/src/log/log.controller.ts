import { Controller, Get, Header, Headers, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { StaffAuthenticatorService } from '@broker/consent';
import { LOG_NOTE_SIGNER, LogProofsService } from '@broker/log-tree';
import type { Ed25519NoteSigner } from '@broker/transparency';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';

type Query = Record<string, string | string[] | undefined>;

/** One query value (a repeated one is left undefined, which the service refuses as malformed). */
function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' ? v : undefined;
}

const b64 = (h: Buffer): string => h.toString('base64');

/** Whom a tlog-proof of this log must satisfy (GET /log/witnesses): public keys only. */
export interface LogTrustView {
  /** The checkpoints' origin (the trust file's brokerId, the name of the log's note key). */
  origin: string;
  /** The log's note verifier key (type 0x01), as GET /log/vkey. */
  logVkey: string;
  /** How many distinct witnesses must cosign a published checkpoint. */
  quorum: number;
  /** The trust file's witnesses: name and cosignature verifier key (type 0x04). */
  witnesses: { name: string; vkey: string }[];
}

/**
 * The witnessed transparency log's endpoints (docs/adr/0010): the checkpoint and the note key are
 * public, and so are consistency proofs (hashes only); inclusion proofs name a leaf, so they take an
 * auditor's Bearer token as the audit endpoints do. Citizens get theirs with their own entries.
 */
@Controller('log')
export class LogController {
  constructor(
    @Inject(LogProofsService) private readonly proofs: LogProofsService,
    @Inject(LOG_NOTE_SIGNER) private readonly signer: Ed25519NoteSigner,
    @Inject(StaffAuthenticatorService) private readonly staff: StaffAuthenticatorService,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  /** The latest published checkpoint with its cosignatures (C2SP signed note). */
  @Get('checkpoint')
  @Header('cache-control', 'no-cache')
  async checkpoint(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const note = (await this.proofs.publishedCheckpoint()).cosignedNote;
    // set only on success: a refusal is the coded JSON error body
    void reply.header('content-type', 'text/plain; charset=utf-8');
    return note;
  }

  /** The broker's note verifier key. */
  @Get('vkey')
  @Header('content-type', 'text/plain; charset=utf-8')
  @Header('cache-control', 'public, max-age=300')
  vkey(): string {
    return `${this.signer.vkey}\n`;
  }

  /**
   * The log's key, its witnesses' keys and the quorum, from the trust file: what the citizen page
   * verifies its entries' tlog-proofs against. Names and public keys only (no witness URL).
   */
  @Get('witnesses')
  @Header('cache-control', 'public, max-age=300')
  witnesses(): LogTrustView {
    const { witnesses, quorum } = this.trust.witnessPolicy;
    return {
      origin: this.trust.brokerId,
      logVkey: this.signer.vkey,
      quorum,
      witnesses: witnesses.map((w) => ({ name: w.name, vkey: w.vkey.text })),
    };
  }

  @Get('consistency')
  @Header('cache-control', 'public, max-age=60')
  async consistency(@Query() q: Query): Promise<{ hashes: string[] }> {
    const hashes = await this.proofs.consistency(one(q, 'from'), one(q, 'to'));
    return { hashes: hashes.map(b64) };
  }

  @Get('proof')
  @Header('cache-control', 'no-store')
  async proof(
    @Headers('authorization') authorization: string | undefined,
    @Query() q: Query,
  ): Promise<{ leafHash: string; hashes: string[] }> {
    await this.staff.authenticateAuditor(authorization);
    const { leafHash, hashes } = await this.proofs.inclusion(one(q, 'index'), one(q, 'size'));
    return { leafHash: b64(leafHash), hashes: hashes.map(b64) };
  }
}
