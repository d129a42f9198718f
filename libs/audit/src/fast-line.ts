import { hash } from 'node:crypto';
import type { ExportLine } from './export-format';

/**
 * The fast path of the NDJSON verifier: an export line's canonical document (what the chain hash
 * and the transparency-log leaf cover) cut out of the line's own text, without JSON.parse and
 * canonicalJson.
 *
 * The rule (contracts/audit-export-line.schema.json, export-format.ts): the document is the
 * line's object without `hash` and `leafIndex`, keys sorted by UTF-16 code units, no whitespace,
 * strings as JSON.stringify writes them, numbers only safe integers. The exporter writes each
 * line with JSON.stringify, so every value in it is already in canonical form and only the order
 * of the members differs: the document is the line's `"key":value` members, sorted, joined.
 *
 * This holds only for text that is exactly such a line. Anything else gives `undefined`, and the
 * caller takes the slow path (JSON.parse, then lineDocument) which reports or accepts the line as
 * it always did: a backslash or a control character anywhere (escapes, which JSON.stringify
 * writes in one way of several), whitespace between tokens, a nested object or array, a number
 * that is negative, not an integer or not safe, a duplicated key, anything after the closing
 * brace, and (for text) any surrogate, since JSON.stringify escapes a lone one. The bytes variant
 * needs valid UTF-8: the reader decodes other lines first (U+FFFD), as it always did.
 */
export interface FastLine {
  /** The members the checks read (v, seq, hash, prevHash, leafIndex when present), as JSON.parse gives them. */
  value: ExportLine;
  /** The canonical document. */
  document: string;
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_SLOW_PATH = /[\u0000-\u001f\\\ud800-\udfff]/;
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,15})$/;
/** Members the checks read: their values are parsed (and must be scalars on the fast path). */
const READ = new Set(['v', 'seq', 'hash', 'prevHash', 'leafIndex']);

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Order of the last key list seen: lines of one export share it, so the sort is done once. */
let lastKeys: string[] = [];
let lastOrder: number[] = [];

/** End (exclusive) of the scalar starting at `p`, or -1 when it is not a canonical scalar. */
function scalarEnd(s: string, p: number): number {
  const c = s.charCodeAt(p);
  if (c === QUOTE) {
    const q = s.indexOf('"', p + 1);
    return q < 0 ? -1 : q + 1;
  }
  if (c === 0x6e /* n */) return s.startsWith('null', p) ? p + 4 : -1;
  if (c === 0x74 /* t */) return s.startsWith('true', p) ? p + 4 : -1;
  if (c === 0x66 /* f */) return s.startsWith('false', p) ? p + 5 : -1;
  if (c >= 0x30 && c <= 0x39) {
    let e = p + 1;
    for (let d = s.charCodeAt(e); d >= 0x30 && d <= 0x39; d = s.charCodeAt(++e));
    const digits = s.slice(p, e);
    if (!CANONICAL_INTEGER.test(digits) || !Number.isSafeInteger(Number(digits))) return -1;
    return e;
  }
  return -1;
}

/** The scalar text `raw` (canonical, from scalarEnd) as JSON.parse gives it. */
function scalarValue(raw: string): string | number | boolean | null {
  const c = raw.charCodeAt(0);
  if (c === QUOTE) return raw.slice(1, -1);
  if (c === 0x6e) return null;
  if (c === 0x74) return true;
  if (c === 0x66) return false;
  return Number(raw);
}

/** The canonical document of an export line's text, or undefined when only the slow path can tell. */
export function fastLine(s: string): FastLine | undefined {
  const n = s.length;
  if (n < 2 || s.charCodeAt(0) !== 0x7b || s.charCodeAt(n - 1) !== CLOSE_BRACE) return undefined;
  if (NEEDS_SLOW_PATH.test(s)) return undefined;
  const keys: string[] = [];
  const members: string[] = [];
  const value: ExportLine = {};
  let p = 1;
  if (n === 2) return { value, document: '{}' };
  for (;;) {
    if (s.charCodeAt(p) !== QUOTE) return undefined;
    const keyEnd = s.indexOf('"', p + 1);
    if (keyEnd < 0 || s.charCodeAt(keyEnd + 1) !== COLON) return undefined;
    const key = s.slice(p + 1, keyEnd);
    const start = keyEnd + 2;
    let end: number;
    if (s.charCodeAt(start) === OPEN_BRACKET) {
      end = start + 1;
      if (s.charCodeAt(end) !== CLOSE_BRACKET) {
        for (;;) {
          end = scalarEnd(s, end);
          if (end < 0) return undefined;
          const c = s.charCodeAt(end);
          if (c === CLOSE_BRACKET) break;
          if (c !== COMMA) return undefined;
          end++;
        }
      }
      end++;
      if (READ.has(key)) return undefined;
    } else {
      end = scalarEnd(s, start);
      if (end < 0) return undefined;
      if (READ.has(key)) {
        // JSON.parse keeps the last of duplicated keys; the slow path decides those
        if (key in value) return undefined;
        value[key] = scalarValue(s.slice(start, end));
      }
    }
    keys.push(key);
    members.push(s.slice(p, end));
    const c = s.charCodeAt(end);
    if (c === CLOSE_BRACE) {
      if (end !== n - 1) return undefined;
      break;
    }
    if (c !== COMMA) return undefined;
    p = end + 1;
  }
  let order = lastOrder;
  if (!sameKeys(keys, lastKeys)) {
    if (new Set(keys).size !== keys.length || keys.includes('__proto__')) return undefined;
    order = keys
      .map((_, i) => i)
      .filter((i) => keys[i] !== 'hash' && keys[i] !== 'leafIndex')
      // the order of canonicalJson: UTF-16 code units, as < compares strings
      .sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    lastKeys = keys;
    lastOrder = order;
  }
  let document = '{';
  for (let i = 0; i < order.length; i++) document += i === 0 ? members[order[i]] : `,${members[order[i]]}`;
  return { value, document: `${document}}` };
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An entry's chain hash (hex) and transparency-log leaf hash, from its canonical document. */
export interface DocumentHashes {
  hash: string;
  leaf: Buffer;
}

let scratch = Buffer.alloc(4096);

/** SHA-256 of the document (the chain hash) and of 0x00 ‖ document (the leaf hash), from one UTF-8 encoding. */
export function hashDocument(document: string): DocumentHashes {
  if (scratch.length < document.length * 3 + 1) scratch = Buffer.alloc(document.length * 3 + 1);
  scratch[0] = 0x00;
  const end = 1 + scratch.write(document, 1, 'utf8');
  return {
    hash: hash('sha256', scratch.subarray(1, end), 'hex'),
    leaf: hash('sha256', scratch.subarray(0, end), 'buffer'),
  };
}

/** Key list and document order of the lines last seen (lines of one export share them). */
interface Template {
  /** The keys' bytes, one after the other, and where each ends. */
  keyBytes: Buffer;
  keyEnds: number[];
  /** Member indexes in document order (hash and leafIndex left out). */
  order: number[];
  /** Member index of each member the checks read, -1 when absent. */
  read: { key: string; at: number }[];
}

/** The key lists seen last, most recent first (an export has a few: optional members come and go). */
const templates: Template[] = [];
const MAX_TEMPLATES = 16;
const MAX_MEMBERS = 64;
const memberStart = new Int32Array(MAX_MEMBERS);
const memberEnd = new Int32Array(MAX_MEMBERS);
const keyStart = new Int32Array(MAX_MEMBERS);
const keyEnd = new Int32Array(MAX_MEMBERS);
/** 0: string, 1: number, 2: null/true/false, 3: array. */
const kind = new Uint8Array(MAX_MEMBERS);
const numberValue = new Float64Array(MAX_MEMBERS);

/** End (exclusive) of the canonical scalar at `p` in b[..e), or -1; a number's value goes to numberValue[m]. */
function byteScalarEnd(b: Buffer, p: number, e: number, m: number): number {
  const c = b[p];
  if (c === QUOTE) {
    for (let q = p + 1; q < e; q++) {
      const d = b[q];
      if (d === QUOTE) return q + 1;
      if (d < 0x20 || d === 0x5c) return -1;
    }
    return -1;
  }
  if (c >= 0x30 && c <= 0x39) {
    let v = c - 0x30;
    let q = p + 1;
    for (; q < e; q++) {
      const d = b[q];
      if (d < 0x30 || d > 0x39) break;
      if (c === 0x30) return -1; // a leading zero
      v = v * 10 + (d - 0x30);
    }
    if (q - p > 16 || !Number.isSafeInteger(v)) return -1;
    if (m >= 0) numberValue[m] = v;
    return q;
  }
  if (c === 0x6e) return b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c ? p + 4 : -1;
  if (c === 0x74) return b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : -1;
  if (c === 0x66) {
    return b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : -1;
  }
  return -1;
}

function sameTemplate(t: Template, b: Buffer, members: number): boolean {
  if (t.keyEnds.length !== members) return false;
  let k = 0;
  for (let m = 0; m < members; m++) {
    const end = t.keyEnds[m];
    if (keyEnd[m] - keyStart[m] !== end - k) return false;
    for (let q = keyStart[m]; k < end; k++, q++) if (b[q] !== t.keyBytes[k]) return false;
  }
  return true;
}

function newTemplate(b: Buffer, members: number): Template | undefined {
  const keys: string[] = [];
  for (let m = 0; m < members; m++) keys.push(b.toString('utf8', keyStart[m], keyEnd[m]));
  // __proto__: lineDocument's copy would set the prototype instead of a member
  if (new Set(keys).size !== keys.length || keys.includes('__proto__')) return undefined;
  const keyEnds: number[] = [];
  let total = 0;
  for (const k of keys) keyEnds.push((total += Buffer.byteLength(k, 'utf8')));
  const order = keys
    .map((_, i) => i)
    .filter((i) => keys[i] !== 'hash' && keys[i] !== 'leafIndex')
    // the order of canonicalJson: UTF-16 code units, as < compares strings
    .sort((x, y) => (keys[x] < keys[y] ? -1 : keys[x] > keys[y] ? 1 : 0));
  return {
    keyBytes: Buffer.from(keys.join(''), 'utf8'),
    keyEnds,
    order,
    read: [...READ].map((key) => ({ key, at: keys.indexOf(key) })),
  };
}

/**
 * fastLine on the line's bytes b[s..e) (valid UTF-8, no LF, no trailing CR), hashing as it goes:
 * the members are copied in document order into one buffer after a 0x00 byte, hashed once for
 * the chain and once with the prefix for the leaf. Undefined when only the slow path can tell.
 */
export function fastLineBytes(
  b: Buffer,
  s: number,
  e: number,
): { value: ExportLine; hashed: DocumentHashes } | undefined {
  if (e - s < 2 || b[s] !== 0x7b || b[e - 1] !== CLOSE_BRACE) return undefined;
  let members = 0;
  let p = s + 1;
  if (e - s > 2) {
    for (;;) {
      if (members === MAX_MEMBERS || b[p] !== QUOTE) return undefined;
      let q = p + 1;
      for (; q < e; q++) {
        const d = b[q];
        if (d === QUOTE) break;
        if (d < 0x20 || d === 0x5c) return undefined;
      }
      if (q >= e || b[q + 1] !== COLON) return undefined;
      keyStart[members] = p + 1;
      keyEnd[members] = q;
      const vs = q + 2;
      let end: number;
      if (b[vs] === OPEN_BRACKET) {
        end = vs + 1;
        if (b[end] !== CLOSE_BRACKET) {
          for (;;) {
            end = byteScalarEnd(b, end, e, -1);
            if (end < 0) return undefined;
            if (b[end] === CLOSE_BRACKET) break;
            if (b[end] !== COMMA) return undefined;
            end++;
          }
        }
        end++;
        kind[members] = 3;
      } else {
        end = byteScalarEnd(b, vs, e, members);
        if (end < 0) return undefined;
        const c = b[vs];
        kind[members] = c === QUOTE ? 0 : c <= 0x39 ? 1 : 2;
      }
      memberStart[members] = p;
      memberEnd[members] = end;
      members++;
      if (b[end] === CLOSE_BRACE) {
        if (end !== e - 1) return undefined;
        break;
      }
      if (b[end] !== COMMA) return undefined;
      p = end + 1;
    }
  }
  let t: Template | undefined;
  for (let i = 0; i < templates.length; i++) {
    if (sameTemplate(templates[i], b, members)) {
      t = templates[i];
      if (i > 0) {
        templates.splice(i, 1);
        templates.unshift(t);
      }
      break;
    }
  }
  if (!t) {
    t = newTemplate(b, members);
    if (!t) return undefined;
    templates.unshift(t);
    if (templates.length > MAX_TEMPLATES) templates.pop();
  }
  const value: ExportLine = {};
  for (const { key, at } of t.read) {
    if (at < 0) continue;
    const vs = keyEnd[at] + 2;
    switch (kind[at]) {
      case 0:
        value[key] = b.toString('utf8', vs + 1, memberEnd[at] - 1);
        break;
      case 1:
        value[key] = numberValue[at];
        break;
      case 2:
        value[key] = b[vs] === 0x6e ? null : b[vs] === 0x74;
        break;
      default:
        return undefined;
    }
  }
  if (scratch.length < e - s + 1) scratch = Buffer.alloc(2 * (e - s + 1));
  const out = scratch;
  out[0] = 0x00;
  out[1] = 0x7b;
  let w = 2;
  const order = t.order;
  for (let i = 0; i < order.length; i++) {
    if (i > 0) out[w++] = COMMA;
    const m = order[i];
    for (let q = memberStart[m], end = memberEnd[m]; q < end; q++) out[w++] = b[q];
  }
  out[w++] = CLOSE_BRACE;
  return {
    value,
    hashed: {
      hash: hash('sha256', out.subarray(1, w), 'hex'),
      leaf: hash('sha256', out.subarray(0, w), 'buffer'),
    },
  };
}
