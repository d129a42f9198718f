import { Controller, Get, Header, Headers, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { StaffAuthenticatorService } from '@broker/consent';
import { LOG_NOTE_SIGNER, LogProofsService } from '@broker/log-tree';
import type { Ed25519NoteSigner } from '@broker/transparency';

type Query = Record<string, string | string[] | undefined>;

/** One query value (a repeated one is left undefined, which the service refuses as malformed). */
function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return typeof v === 'string' ? v : undefined;
}

const b64 = (h: Buffer): string => h.toString('base64');

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
