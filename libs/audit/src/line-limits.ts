/** Longest line (NDJSON) or record (CSV) the offline verifiers read: 1 MiB, far above any entry. */
export const MAX_LINE_BYTES = 1_048_576;
/** Longest CSV header row: 4 KiB, twenty times the real one. */
export const MAX_HEADER_BYTES = 4096;

/** A line or header over its limit: the file is not read further (and never held in memory). */
export class LineTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly limit: number,
    what: 'line' | 'header row' | 'record' = 'line',
  ) {
    super(
      `line ${line}: the ${what} is longer than ${limit} bytes (the verifier's limit); the file was not read further`,
    );
  }
}
