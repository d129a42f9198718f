const PREFIX = 'al1:';
const MAX_SEQ = 2n ** 63n - 1n;

/**
 * Opaque cursor of a citizen's log page: the seq of the last entry shown. It names no citizen:
 * every query also filters on the signed-in citizen's subject, so a cursor taken from another
 * citizen's page only says where to continue in one's own entries.
 */
export function encodeCursor(seq: string | bigint): string {
  return Buffer.from(`${PREFIX}${seq.toString()}`, 'utf8').toString('base64url');
}

/** The seq of a cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): bigint | undefined {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^al1:([1-9][0-9]{0,18})$/.exec(text);
  if (!m) return undefined;
  const seq = BigInt(m[1]);
  return seq <= MAX_SEQ ? seq : undefined;
}
