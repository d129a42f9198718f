/**
 * The log as the gateway publishes it over HTTP: `GET /log/checkpoint` (signed note),
 * `GET /log/vkey` and `GET /log/consistency?from=A&to=B` (`{"hashes": [base64...]}`). Answers are
 * read with a size limit and a timeout; any failure is a LogFetchError with a one-line reason.
 */
import { request } from 'undici';
import { decodeBase64, decodeNoteBytes, NoteFormatError } from '@broker/transparency';
import type { LogSource } from './log-monitor';

/** The log could not be read (network, HTTP status, size, shape). */
export class LogFetchError extends Error {
  override readonly name = 'LogFetchError';
}

/** A checkpoint note is at most 64 KiB of text; a consistency proof is at most ~126 hashes. */
const MAX_ANSWER_BYTES = 256 * 1024;
const TIMEOUT_MS = 15_000;
const MAX_PROOF_HASHES = 128;

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** GETs `url` and returns its body, or throws a LogFetchError. */
async function fetchBytes(url: string): Promise<Buffer> {
  let res;
  try {
    res = await request(url, { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LogFetchError(
      `cannot reach ${url}: ${oneLine((error as Error).message)}${code ? ` (${code})` : ''}`,
    );
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of res.body) {
      length += (chunk as Buffer).length;
      if (length > MAX_ANSWER_BYTES) {
        res.body.destroy();
        throw new LogFetchError(`${url}: the answer is longer than ${MAX_ANSWER_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof LogFetchError) throw error;
    throw new LogFetchError(`${url}: reading the answer failed: ${oneLine((error as Error).message)}`);
  }
  const body = Buffer.concat(chunks);
  if (res.statusCode !== 200) {
    throw new LogFetchError(`${url}: HTTP ${res.statusCode} ${oneLine(body.toString('utf8')).slice(0, 200)}`);
  }
  return body;
}

function text(url: string, bytes: Buffer): string {
  try {
    return decodeNoteBytes(bytes);
  } catch (error) {
    if (error instanceof NoteFormatError) throw new LogFetchError(`${url}: ${error.message}`);
    throw error;
  }
}

/** Reads a gateway's public log endpoints; `base` is the gateway's base URL. */
export class LogHttpSource implements LogSource {
  constructor(private readonly base: string) {}

  async checkpoint(): Promise<string> {
    const url = `${this.base}/log/checkpoint`;
    return text(url, await fetchBytes(url));
  }

  async vkey(): Promise<string> {
    const url = `${this.base}/log/vkey`;
    return text(url, await fetchBytes(url)).trim();
  }

  async consistency(from: number, to: number): Promise<Buffer[]> {
    const url = `${this.base}/log/consistency?${new URLSearchParams({ from: String(from), to: String(to) })}`;
    let doc: unknown;
    try {
      doc = JSON.parse(text(url, await fetchBytes(url)));
    } catch (error) {
      if (error instanceof LogFetchError) throw error;
      throw new LogFetchError(`${url}: the answer is not JSON`);
    }
    const hashes = (doc as { hashes?: unknown } | null)?.hashes;
    if (
      !Array.isArray(hashes) ||
      hashes.length > MAX_PROOF_HASHES ||
      !hashes.every((h) => typeof h === 'string')
    ) {
      throw new LogFetchError(`${url}: the answer is not {"hashes": [base64...]}`);
    }
    try {
      return hashes.map((h: string, i) => decodeBase64(h, `hash ${i + 1}`));
    } catch (error) {
      if (error instanceof NoteFormatError) throw new LogFetchError(`${url}: ${error.message}`);
      throw error;
    }
  }
}
