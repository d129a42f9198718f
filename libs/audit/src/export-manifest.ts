import type { JWK } from 'jose';
import type { CheckpointRef, ManifestClaims } from './export-format';
import type { Problems } from './export-verify-report';
import { decodePayload, verifyJws } from './jws-rules';
import { isHash, isSeq } from './export-line-rules';

export { isHash, isSeq } from './export-line-rules';

/** JOSE `typ` of export manifests. */
export const MANIFEST_TYP = 'audit-manifest+jwt';
/** JOSE `typ` of chain-head checkpoints. */
export const CHECKPOINT_TYP = 'checkpoint+jwt';

/** The manifest claims: `verified` when the signature holds, else the decoded claims for information. */
export interface ManifestRead {
  verified?: ManifestClaims;
  unverified?: ManifestClaims;
}

/** Verifies the manifest's signature and shape; problems and notes go to the report. */
export async function readManifest(
  jws: string,
  jwks: { keys: JWK[] },
  problems: Problems,
  notes: string[],
): Promise<ManifestRead> {
  let payload: unknown;
  try {
    payload = await verifyJws(jws, MANIFEST_TYP, jwks);
  } catch (e) {
    problems.add(null, `manifest signature does not verify with the given keys: ${(e as Error).message}`);
    // Still compare the file with what the manifest claims: it tells the auditor more, and ok stays false.
    const unverified = manifestClaims(decodePayload(jws));
    if (typeof unverified === 'string') {
      notes.push('no usable manifest: only the hash of each entry and the links between them were checked');
      return {};
    }
    notes.push('the manifest claims were compared with the file for information only: they are not verified');
    return { unverified };
  }
  const claims = manifestClaims(payload);
  if (typeof claims === 'string') {
    problems.add(null, `manifest claims are not valid: ${claims}`);
    return {};
  }
  notes.push(
    `manifest ${claims.jti} signed by ${claims.iss} at ${isoSeconds(claims.iat)} for ${claims.sub}, ` +
      `cut at head seq ${claims.headSeq}`,
  );
  return { verified: claims };
}

/** Verifies the checkpoint the manifest embeds; returns it only when it anchors the chain. */
export async function readCheckpoint(
  m: ManifestClaims,
  jwks: { keys: JWK[] },
  problems: Problems,
): Promise<CheckpointRef | null> {
  const ref = m.checkpoint;
  if (!ref) return null;
  let payload: unknown;
  try {
    payload = await verifyJws(ref.jws, CHECKPOINT_TYP, jwks);
  } catch (e) {
    problems.add(null, `checkpoint signature does not verify with the given keys: ${(e as Error).message}`);
    return null;
  }
  const c = payload as Record<string, unknown>;
  if (typeof c.iss !== 'string' || !isSeq(c.seq) || !isHash(c.hash) || !Number.isSafeInteger(c.iat)) {
    problems.add(null, 'checkpoint claims are not valid: iss, seq, hash and iat are required');
    return null;
  }
  let agrees = true;
  if (c.seq !== ref.seq || c.hash !== ref.hash) {
    problems.add(
      null,
      `checkpoint does not match the manifest: the signed checkpoint is seq ${c.seq} hash ${c.hash}, ` +
        `the manifest says seq ${ref.seq} hash ${ref.hash}`,
    );
    agrees = false;
  }
  if (c.iss !== m.iss) problems.add(null, `checkpoint issuer ${c.iss} is not the manifest issuer ${m.iss}`);
  if (ref.seq !== m.headSeq) {
    problems.add(null, `manifest checkpoint is at seq ${ref.seq} but the manifest head is seq ${m.headSeq}`);
  }
  // Only what the checkpoint JWS itself says anchors the chain.
  return agrees ? ref : null;
}

/** The claims if they have the shape of ManifestClaims, else why not. */
function manifestClaims(p: unknown): ManifestClaims | string {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'not a JSON object';
  const c = p as Record<string, unknown>;
  for (const k of ['iss', 'sub', 'jti', 'digest'] as const) {
    if (typeof c[k] !== 'string') return `${k} must be a string`;
  }
  if (!Number.isSafeInteger(c.iat)) return 'iat must be an integer';
  if (c.format !== 'ndjson' && c.format !== 'csv') return 'format must be ndjson or csv';
  if (typeof c.filter !== 'object' || c.filter === null || Array.isArray(c.filter)) {
    return 'filter must be an object';
  }
  if (!isSeq(c.headSeq) && c.headSeq !== '0') return 'headSeq must be a decimal string';
  if (!Number.isSafeInteger(c.count) || (c.count as number) < 0)
    return 'count must be a non-negative integer';
  if (c.firstSeq !== null && !isSeq(c.firstSeq)) return 'firstSeq must be a decimal string or null';
  if (c.lastSeq !== null && !isSeq(c.lastSeq)) return 'lastSeq must be a decimal string or null';
  if (typeof c.complete !== 'boolean') return 'complete must be a boolean';
  if (!isHash(c.digest)) return 'digest must be 64 lowercase hex digits';
  if (c.checkpoint !== null) {
    const r = c.checkpoint as Record<string, unknown> | undefined;
    if (typeof r !== 'object' || r === null) return 'checkpoint must be an object or null';
    if (!isSeq(r.seq) || !isHash(r.hash) || typeof r.signedAt !== 'string' || typeof r.jws !== 'string') {
      return 'checkpoint needs seq, hash, signedAt and jws';
    }
  }
  if (c.tlog !== undefined) {
    const why = tlogShapeError(c.tlog);
    if (why) return why;
  }
  return c as unknown as ManifestClaims;
}

const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;

/** Why a manifest's `tlog` member does not have the shape of a TlogAnchor, if it does not. */
function tlogShapeError(t: unknown): string | undefined {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return 'tlog must be an object';
  const a = t as Record<string, unknown>;
  if (a.checkpoint === null) {
    return typeof a.reason === 'string' ? undefined : 'tlog without a checkpoint needs a reason';
  }
  if (typeof a.checkpoint !== 'string') return 'tlog.checkpoint must be a signed note or null';
  if (!Number.isSafeInteger(a.size) || (a.size as number) < 0) return 'tlog.size must be a tree size';
  if (!Array.isArray(a.proof) || !a.proof.every((h) => typeof h === 'string' && BASE64_HASH.test(h)))
    return 'tlog.proof must be a list of base64 SHA-256 hashes';
  return undefined;
}

function isoSeconds(s: number): string {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : d.toISOString();
}
