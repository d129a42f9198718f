import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { IssuerRevocationService } from '@broker/citizen';

/**
 * Consent issuers revoke their consents here: the body is the compact JWS (typ revocation+jwt)
 * itself, sent as application/jose, application/jwt or text/plain. See docs/citizen.md.
 */
@Controller('consents')
export class ConsentRevocationsController {
  constructor(@Inject(IssuerRevocationService) private readonly revocations: IssuerRevocationService) {}

  @Post('revocations')
  @HttpCode(200)
  async revoke(
    @Body() body: unknown,
  ): Promise<{ status: 'REVOKED'; issuer: string; jti: string; revokedAt: string }> {
    const r = await this.revocations.revoke(typeof body === 'string' ? body : undefined);
    return { status: 'REVOKED', issuer: r.issuer, jti: r.jti, revokedAt: r.revokedAt.toISOString() };
  }
}
