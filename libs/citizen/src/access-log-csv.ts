import { SOURCE_REGISTRY } from '@broker/data-items';
import type { CitizenLogEntry, Language } from './citizen-views';

/** Columns of the citizen's CSV download (header row), in order. */
export const CITIZEN_CSV_COLUMNS = [
  'id',
  'occurredAt',
  'channel',
  'memberId',
  'memberName',
  'purpose',
  'purposeLabel',
  'itemsRequested',
  'itemsDisclosed',
  'outcome',
  'reasonCode',
  'consentIssuer',
  'consentJti',
  'jobId',
  'reported',
  // appended when the broker came to ask several registers: earlier columns keep their places
  'itemSources',
  'itemsFailed',
  'sourceTitles',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled. A
 * text that a spreadsheet would run as a formula (leading =, +, -, @, tab, CR) is prefixed with
 * an apostrophe, since member names and purposes come from configuration, not from us.
 */
export function csvField(value: string | null | undefined): string {
  let v = value ?? '';
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV record with its CRLF line end. */
export function csvRecord(values: readonly (string | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The header record. */
export function csvHeader(): string {
  return csvRecord(CITIZEN_CSV_COLUMNS);
}

/**
 * One entry as a CSV record; lists are space-separated, the purpose label in `lang` (else English,
 * else the code). `itemSources` pairs each requested item with its register (`name:rnpp`, as in
 * the access log), `itemsFailed` lists the items a register did not deliver, `sourceTitles` names
 * the registers in `lang`, separated by `; `.
 */
export function entryCsvRecord(e: CitizenLogEntry, lang: Language): string {
  const label = e.purpose ? (e.purpose.labels[lang] ?? e.purpose.labels.en ?? e.purpose.code) : null;
  return csvRecord([
    e.id,
    e.occurredAt.toISOString(),
    e.channel,
    e.member.id,
    e.member.name,
    e.purpose?.code ?? null,
    label,
    e.itemsRequested.join(' '),
    e.itemsDisclosed.join(' '),
    e.outcome,
    e.reasonCode,
    e.consentIssuer,
    e.consentJti,
    e.jobId,
    e.reported ? 'yes' : 'no',
    e.sources.flatMap((s) => s.items.map((i) => `${i}:${s.source}`)).join(' '),
    e.sources.flatMap((s) => s.failedItems).join(' '),
    e.sources.map((s) => SOURCE_REGISTRY.source(s.source)?.titles[lang] ?? s.source).join('; '),
  ]);
}
