import { generateKeyPairSync } from 'node:crypto';
import { parseCheckpoint } from './checkpoint';
import { CosignatureV1Verifier, Ed25519Cosigner } from './cosignature';
import { NoteFormatError } from './note-format-error';
import {
  COSIGNATURE_V1_TYPE,
  Ed25519NoteSigner,
  Ed25519NoteVerifier,
  ED25519_NOTE_TYPE,
  formatVkey,
  noteKeyId,
  parseVkey,
} from './note-keys';
import { decodeNoteBytes, formatSignatureLine, parseNote, signNote, verifyNote } from './signed-note';

const newKey = () => generateKeyPairSync('ed25519').privateKey;

// golang.org/x/mod/sumdb/note's documented example: another implementation's key and signature
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_NOTE =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n" +
  '\n' +
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
// A published checkpoint of a CT log (arche2025h1, staging) with witness cosignatures, among them
// remora.n621.de's tlog-cosignature v1; its first line is an RFC 6962 signature (type 0x05) under the log's name.
const ARCHE_VKEY =
  'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
const ARCHE_CHECKPOINT = [
  'arche2025h1.staging.ct.transparency.dev',
  '1432088532',
  'U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=',
  '',
  '— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=',
  '— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=',
  '— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==',
  '— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==',
  '— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==',
  '— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==',
  '',
].join('\n');

describe('verifier keys', () => {
  it('derive key IDs and vkeys as other implementations do', () => {
    const peter = parseVkey(PETER_VKEY);
    expect(peter).toMatchObject({ name: 'PeterNeumann', type: ED25519_NOTE_TYPE });
    expect(peter.keyId.toString('hex')).toBe('c74f20a3');
    expect(formatVkey(peter.name, peter.type, peter.publicKey)).toBe(PETER_VKEY);
    expect(parseVkey(REMORA_VKEY).type).toBe(COSIGNATURE_V1_TYPE);
    // a '+' inside the base64 key: only the first two '+' separate fields
    expect(parseVkey('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6').name).toBe('TEST');
  });

  it('bind the key ID to the name, the type and the key', () => {
    const key = newKey();
    const log = new Ed25519NoteSigner('broker.example', key);
    const witness = new Ed25519Cosigner('broker.example', key);
    expect(log.keyId.equals(witness.keyId)).toBe(false);
    expect(parseVkey(witness.vkey).type).toBe(COSIGNATURE_V1_TYPE);
    expect(noteKeyId('a', 1, Buffer.alloc(32)).length).toBe(4);
  });

  it.each([
    ['no field separators', 'PeterNeumann'],
    ['a wrong key ID', PETER_VKEY.replace('c74f20a3', 'c74f20a4')],
    ['a key ID of 7 digits', PETER_VKEY.replace('c74f20a3', 'c74f20a')],
    ['bad base64', `${PETER_VKEY}!`],
    ['an empty name', PETER_VKEY.replace('PeterNeumann', '')],
    ['a name with a space', formatVkeyUnchecked('Peter Neumann')],
    ['an unknown key type', formatVkeyUnchecked('x', 0x02)],
    ['a key of 31 bytes', formatVkeyUnchecked('x', 0x01, 31)],
  ])('refuse %s', (_label, text) => {
    expect(() => parseVkey(text)).toThrow(NoteFormatError);
  });

  it('are refused by the verifier of the other signature type', () => {
    const key = newKey();
    expect(() => new Ed25519NoteVerifier(new Ed25519Cosigner('w', key).vkey)).toThrow(/type 0x01/);
    expect(() => new CosignatureV1Verifier(new Ed25519NoteSigner('l', key).vkey)).toThrow(/type 0x04/);
  });
});

/** A vkey text with a correct key ID, whatever its name or type (to reach the checks past the ID). */
function formatVkeyUnchecked(name: string, type = 0x01, length = 32): string {
  const key = Buffer.alloc(length, 7);
  const id = noteKeyId(name, type, key).toString('hex');
  return `${name}+${id}+${Buffer.concat([Buffer.from([type]), key]).toString('base64')}`;
}

describe('signed notes', () => {
  const log = new Ed25519NoteSigner('broker.example/log', newKey());
  const logVerifier = new Ed25519NoteVerifier(log.vkey);
  const text = 'broker.example/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';

  it("verify another implementation's note", () => {
    const result = verifyNote(PETER_NOTE, [new Ed25519NoteVerifier(PETER_VKEY)]);
    expect(result.ok).toBe(true);
    expect(
      verifyNote(PETER_NOTE.replace('problem,', 'problem;'), [new Ed25519NoteVerifier(PETER_VKEY)]),
    ).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  it('verify a published checkpoint and its witness cosignature, ignoring the signatures of unknown keys', () => {
    const result = verifyNote(ARCHE_CHECKPOINT, [
      new Ed25519NoteVerifier(ARCHE_VKEY),
      new CosignatureV1Verifier(REMORA_VKEY),
    ]);
    expect(result.ok && result.verified.map((v) => v.name)).toEqual([
      'arche2025h1.staging.ct.transparency.dev',
      'remora.n621.de',
    ]);
    expect(parseCheckpoint(parseNote(ARCHE_CHECKPOINT).text).size).toBe(1432088532);
    const clobbered = ARCHE_CHECKPOINT.replace('1432088532', '1432088533');
    expect(verifyNote(clobbered, [new CosignatureV1Verifier(REMORA_VKEY)])).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('round-trip: sign, parse, verify', () => {
    const note = signNote(text, [log]);
    const parsed = parseNote(note);
    expect(parsed.text).toBe(text);
    expect(parsed.signatures).toHaveLength(1);
    expect(verifyNote(note, [logVerifier])).toMatchObject({ ok: true });
  });

  it('separate the text at the last blank line, so a text may hold blank lines', () => {
    const multi = 'first\n\nsecond\n';
    const note = signNote(multi, [log]);
    expect(parseNote(note).text).toBe(multi);
    expect(verifyNote(note, [logVerifier]).ok).toBe(true);
  });

  it('ignore signatures of unknown keys, even with a known name or a known key ID', () => {
    const other = new Ed25519NoteSigner('someone.else', newKey());
    const sameName = new Ed25519NoteSigner(log.name, newKey());
    const note = signNote(text, [other, sameName, log]);
    const sameIdOtherName = formatSignatureLine('impostor', log.keyId, Buffer.alloc(64));
    const result = verifyNote(note + sameIdOtherName, [logVerifier]);
    expect(result.ok && result.verified.map((v) => v.name)).toEqual([log.name]);
  });

  it('reject a note that only unknown keys signed', () => {
    const note = signNote(text, [new Ed25519NoteSigner('someone.else', newKey())]);
    expect(verifyNote(note, [logVerifier])).toMatchObject({ ok: false, code: 'NO_KNOWN_SIGNATURE' });
    expect(verifyNote(note, [])).toMatchObject({ ok: false, code: 'NO_KNOWN_SIGNATURE' });
  });

  it('treat a signature under a wrong key ID as unknown', () => {
    const note = signNote(text, [log]);
    const [line] = parseNote(note).signatures;
    const raw = Buffer.concat([line.keyId, line.signature]);
    raw[0] ^= 0xff;
    const moved = `${text}\n— ${log.name} ${raw.toString('base64')}\n`;
    expect(verifyNote(moved, [logVerifier])).toMatchObject({ ok: false, code: 'NO_KNOWN_SIGNATURE' });
  });

  it("reject the whole note when a known key's signature fails, even beside a good one", () => {
    const good = signNote(text, [log]);
    const forged = formatSignatureLine(log.name, log.keyId, Buffer.alloc(64, 1));
    expect(verifyNote(good + forged, [logVerifier])).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    const short = formatSignatureLine(log.name, log.keyId, Buffer.alloc(10, 1));
    expect(verifyNote(good + short, [logVerifier])).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('reject a changed text', () => {
    const note = signNote(text, [log]);
    expect(verifyNote(note.replace('\n3\n', '\n4\n'), [logVerifier])).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  const good = signNote(text, [log]);
  it.each([
    ['no blank line before the signatures', good.replace('\n\n', '\n'), /no blank line/],
    ['no signature line', `${text}\n`, /no signature line/],
    ['no final newline', good.slice(0, -1), /end with a newline/],
    ['bad base64', good.replace(/ (\S+)\n$/, ' %%%%\n'), /base64/],
    ['non-canonical base64 (padding bits set)', `${text}\n— a AAAAAAB=\n`, /canonical base64/],
    ['a signature of 4 bytes', `${text}\n— a AAAAAA==\n`, /too short/],
    ['a signature line without the em dash', `${text}\n- a AAAAAAA=\n`, /not a signature line/],
    ['a key name with a plus', good.replace(`— ${log.name}`, '— a+b'), /not a signature line/],
    ['a carriage return', good.replace('\n3\n', '\r\n3\n'), /control character/],
    ['a NUL byte', good.replace('3', '3\u0000'), /control character/],
    ['a lone surrogate', good.replace('3', '3\ud800'), /invalid text/],
    ['too many signatures', text + '\n' + '— a AAAAAAA=\n'.repeat(65), /more than 64/],
  ])('refuse as malformed: %s', (_label, note, reason) => {
    expect(() => parseNote(note)).toThrow(reason);
    expect(verifyNote(note, [logVerifier])).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('take lines above the last blank line as text, so a blank line among signatures breaks them', () => {
    const line = good.split('\n\n')[1];
    const note = `${good}\n${line}`;
    expect(parseNote(note).text).toBe(`${text}\n${line}`);
    expect(verifyNote(note, [logVerifier])).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('accept 16 signatures', () => {
    const signers = Array.from({ length: 15 }, (_, i) => new Ed25519NoteSigner(`w${i}`, newKey()));
    expect(verifyNote(signNote(text, [...signers, log]), [logVerifier]).ok).toBe(true);
  });

  it('refuse bytes that are not UTF-8', () => {
    expect(decodeNoteBytes(Buffer.from('é\n', 'utf8'))).toBe('é\n');
    expect(() => decodeNoteBytes(Buffer.from([0x61, 0xff, 0x0a]))).toThrow(/UTF-8/);
  });
});
