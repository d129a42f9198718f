import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

// A manifest embeds its checkpoint JWS, the filter and its transparency-log anchor: a cosigned
// checkpoint and at most MAX_TLOG_PROOF_HASHES (50,000) base64 hashes, about 3 MiB once in the JWS.
// 4 MiB is above that and still bounds the work.
export const MAX_JWS_LENGTH = 4 * 1024 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The key types we accept and the only algorithms each may be used with (RFC 8725: no confusion). */
function algorithmsOf(jwk: JWK): string[] {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  throw new Error(`key ${jwk.kid} is ${jwk.kty}/${jwk.crv}: only EC P-256 and OKP Ed25519 are accepted`);
}

/** RFC 7515 §4.1.9: `typ` is compared case-insensitively and may carry the `application/` prefix. */
function typMatches(typ: unknown, expected: string): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === expected || t === `application/${expected}`;
}

/**
 * Verifies a compact JWS the way signed-token.ts does: the key comes only from the given JWKS by
 * `kid` (keys named in the header by jwk/jku/x5u/x5c are never used), the algorithm must be one
 * allowed for that key type, and `typ` must match. compactVerify rather than jwtVerify because an
 * export is verified years later: exp/nbf must not make an archived manifest fail.
 */
export async function verifyJws(jws: string, typ: string, jwks: { keys: JWK[] }): Promise<unknown> {
  if (typeof jws !== 'string' || jws.length === 0) throw new Error('empty');
  if (jws.length > MAX_JWS_LENGTH) throw new Error('too long');
  const token = jws.trim();
  if (!COMPACT_JWS.test(token)) throw new Error('not a compact JWS (three base64url parts)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new Error('the header is not base64url JSON');
  }
  if (!typMatches(header.typ, typ)) throw new Error(`typ is ${String(header.typ)}, expected ${typ}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new Error('no kid in the header');
  if (typeof header.alg !== 'string') throw new Error('no alg in the header');
  const candidates = (jwks?.keys ?? []).filter((k) => k.kid === header.kid);
  if (candidates.length === 0) throw new Error(`no key with kid ${header.kid}`);
  if (candidates.length > 1) throw new Error(`kid ${header.kid} names more than one key`);
  const jwk = candidates[0];
  const algorithms = algorithmsOf(jwk);
  if (jwk.alg !== undefined && !algorithms.includes(jwk.alg)) {
    throw new Error(`key ${jwk.kid} says alg ${jwk.alg}, which does not fit a ${jwk.kty}/${jwk.crv} key`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`key ${jwk.kid} is not a signing key`);
  if (!algorithms.includes(header.alg)) {
    throw new Error(`alg ${header.alg} is not allowed for key ${jwk.kid} (${algorithms.join(' or ')})`);
  }
  // Only the public members: a JWKS handed over with a private part must not make us sign-capable.
  const pub: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y !== undefined ? { y: jwk.y } : {}) };
  let payload: Uint8Array;
  try {
    const key = await importJWK(pub, header.alg);
    ({ payload } = await compactVerify(token, key, { algorithms }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad signature' : (code ?? 'invalid'));
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new Error('the payload is not JSON');
  }
}

/** The payload of a compact JWS, decoded without verifying it (for information only). */
export function decodePayload(jws: string): unknown {
  try {
    const part = jws.trim().split('.')[1] ?? '';
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
