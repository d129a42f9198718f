import { StringDecoder } from 'node:string_decoder';
import { LineTooLongError, MAX_LINE_BYTES } from './line-limits';

/** One CSV record: its fields and the physical line (1-based) where it starts. */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record breaks RFC 4180 (its fields are then a best effort). */
  error?: string;
}

/** Options of readCsvRecords. */
export interface CsvReadOptions {
  /**
   * Longest record, in UTF-8 bytes (default MAX_LINE_BYTES, 1 MiB); a longer one throws
   * LineTooLongError as soon as it passes the limit, so memory stays bounded.
   */
  maxRecordBytes?: number;
  /** Longest first record (the header row), in UTF-8 bytes; default maxRecordBytes. */
  maxHeaderBytes?: number;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

/**
 * Incremental RFC 4180 parser. It works on characters rather than on readline's lines because a
 * quoted field may hold CR, LF or CRLF, and those must come back byte for byte (they are hashed).
 * Records end at CRLF, LF or a lone CR; lines with no character at all are not records.
 */
class CsvParser {
  private line = 1;
  private recordLine = 1;
  private inRecord = false;
  private fields: string[] = [];
  private field = '';
  private size = 0;
  private error: string | undefined;
  private state: State = 'fieldStart';
  private lastWasCr = false;
  private records = 0;

  constructor(
    private readonly maxRecordBytes: number,
    private readonly maxHeaderBytes: number,
  ) {}

  feed(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    // Start of a run of plain characters not yet copied into `field` (-1: none): copying runs with
    // one slice instead of one character at a time keeps a million-line file fast.
    let run = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const lfOfCrlf = c === LF && this.lastWasCr;
      this.lastWasCr = c === CR;
      switch (this.state) {
        case 'quoted':
          if (c === QUOTE) {
            if (run >= 0) this.add(text.slice(run, i));
            run = -1;
            this.state = 'quoteInQuoted';
          } else if (run < 0) run = i;
          break;
        case 'quoteInQuoted':
          if (c === QUOTE) {
            this.add('"');
            this.state = 'quoted';
          } else if (c === COMMA) {
            this.endField();
            this.state = 'fieldStart';
          } else if (c === CR || c === LF) {
            out.push(this.endRecord());
          } else {
            this.fail('text after the closing quote of a field');
            this.state = 'unquoted';
            run = i;
          }
          break;
        case 'fieldStart':
        case 'unquoted':
          if (c === COMMA) {
            if (run >= 0) this.add(text.slice(run, i));
            run = -1;
            this.startRecord();
            this.endField();
            this.state = 'fieldStart';
          } else if (c === CR || c === LF) {
            if (run >= 0) this.add(text.slice(run, i));
            run = -1;
            // Outside a record this is the LF of a CRLF that ended one, or an empty line: no record.
            if (this.inRecord) out.push(this.endRecord());
          } else if (c === QUOTE && this.state === 'fieldStart') {
            this.startRecord();
            this.state = 'quoted';
          } else {
            if (c === QUOTE) this.fail('quote inside an unquoted field');
            this.startRecord();
            this.state = 'unquoted';
            if (run < 0) run = i;
          }
          break;
      }
      if (c === CR || (c === LF && !lfOfCrlf)) this.line++;
    }
    if (run >= 0) this.add(text.slice(run));
    return out;
  }

  end(): CsvRecord[] {
    if (this.state === 'quoted') this.fail('quoted field not closed at the end of the file');
    return this.inRecord ? [this.endRecord()] : [];
  }

  private startRecord(): void {
    if (this.inRecord) return;
    this.inRecord = true;
    this.recordLine = this.line;
  }

  private add(s: string): void {
    this.size += Buffer.byteLength(s, 'utf8');
    this.checkSize();
    this.field += s;
  }

  private endField(): void {
    // Counting separators too bounds a record made of nothing but commas.
    this.size++;
    this.checkSize();
    this.fields.push(this.field);
    this.field = '';
  }

  private checkSize(): void {
    const header = this.records === 0;
    const limit = header ? this.maxHeaderBytes : this.maxRecordBytes;
    // the separator after the last field is the record's end, not part of it
    if (this.size - 1 > limit)
      throw new LineTooLongError(this.recordLine, limit, header ? 'header row' : 'record');
  }

  private endRecord(): CsvRecord {
    this.endField();
    const record: CsvRecord = { line: this.recordLine, fields: this.fields };
    if (this.error !== undefined) record.error = this.error;
    this.fields = [];
    this.size = 0;
    this.error = undefined;
    this.inRecord = false;
    this.state = 'fieldStart';
    this.records++;
    return record;
  }

  private fail(message: string): void {
    this.error ??= message;
  }
}

/**
 * Reads RFC 4180 records from a stream (e.g. fs.createReadStream), one record in memory at a time.
 * Buffers are decoded as UTF-8 even when a character is split between chunks.
 */
export async function* readCsvRecords(
  input: AsyncIterable<string | Buffer>,
  options: CsvReadOptions = {},
): AsyncGenerator<CsvRecord> {
  const maxRecordBytes = options.maxRecordBytes ?? MAX_LINE_BYTES;
  const parser = new CsvParser(maxRecordBytes, options.maxHeaderBytes ?? maxRecordBytes);
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    yield* parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  }
  yield* parser.feed(decoder.end());
  yield* parser.end();
}
