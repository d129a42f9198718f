/**
 * Strict standard base64 (RFC 4648 §4, padded). Buffer.from(text, 'base64') skips characters it
 * does not know and accepts missing padding, so two different texts could stand for the same
 * signature; the formats here accept exactly one spelling of each byte string.
 */
import { NoteFormatError } from './note-format-error';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical base64, or throws a NoteFormatError naming `what`. */
export function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) throw new NoteFormatError(`${what} is not valid base64`);
  const bytes = Buffer.from(text, 'base64');
  // non-zero padding bits would also decode: only the canonical spelling is accepted
  if (bytes.toString('base64') !== text) throw new NoteFormatError(`${what} is not canonical base64`);
  return bytes;
}

/** Standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Parses an ASCII decimal without leading zeroes, up to 2^53 − 1, or throws a NoteFormatError naming `what`. */
export function decodeDecimal(text: string, what: string): number {
  if (!DECIMAL.test(text)) throw new NoteFormatError(`${what} is not a decimal without leading zeroes`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new NoteFormatError(`${what} is too large`);
  return value;
}
