import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { createLogger } from './broker-logger';
import { redactFields, redactText } from './log-redaction';

const MATRICULE = '1234567890123';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtZW1iZXItMSJ9.c2lnbmF0dXJlLWJ5dGVz';

/** A stream that keeps what the logger wrote. */
function sink(): { stream: Writable; lines(): string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

describe('redactText', () => {
  it('masks a 13-digit run wherever it sits', () => {
    expect(redactText(`invalid matricule "${MATRICULE}"`)).toBe('invalid matricule "[matricule]"');
    expect(redactText(`/persons/${MATRICULE}?x=1`)).toBe('/persons/[matricule]?x=1');
  });

  it('leaves shorter and longer digit runs alone', () => {
    expect(redactText('took 123456789012 ms, id 12345678901234')).toBe(
      'took 123456789012 ms, id 12345678901234',
    );
  });

  it('masks JWT-shaped strings and bearer credentials', () => {
    expect(redactText(`consent ${JWT} refused`)).toBe('consent [token] refused');
    expect(redactText('Authorization: Bearer abc.def-123456789')).toBe('Authorization: Bearer [token]');
    expect(redactText('Basic dXNlcjpwYXNzd29yZA==')).toBe('Basic [token]');
    expect(redactText('missing or non-Bearer Authorization header')).toBe(
      'missing or non-Bearer Authorization header',
    );
    expect(redactText(`header=${JWT.split('.')[0]}.${JWT.split('.')[1]}.`)).toBe('header=[token]');
  });
});

describe('redactFields', () => {
  it('drops credential and input keys whatever they hold', () => {
    expect(
      redactFields({
        req: { headers: { Authorization: 'x', 'consent-token': 'y', cookie: 'z', accept: '*/*' } },
        variables: { m: MATRICULE },
      }),
    ).toEqual({
      req: {
        headers: {
          Authorization: '[redacted]',
          'consent-token': '[redacted]',
          cookie: '[redacted]',
          accept: '*/*',
        },
      },
      variables: '[redacted]',
    });
  });

  it('masks nested strings and flattens errors', () => {
    const out = redactFields({ list: [`m=${MATRICULE}`], err: new Error(`bad token ${JWT}`) }) as {
      list: string[];
      err: { type: string; message: string; stack: string };
    };
    expect(out.list).toEqual(['m=[matricule]']);
    expect(out.err.type).toBe('Error');
    expect(out.err.message).toBe('bad token [token]');
    expect(out.err.stack).not.toContain(JWT);
  });

  it('keeps numbers, booleans and null', () => {
    expect(redactFields({ n: 1234567890123, b: true, z: null })).toEqual({
      n: 1234567890123,
      b: true,
      z: null,
    });
  });
});

describe('createLogger', () => {
  afterEach(() => Logger.overrideLogger(true));

  it('writes one JSON object per line, with context, masked message and masked fields', () => {
    const out = sink();
    Logger.overrideLogger(createLogger({ logFormat: 'json', logLevel: 'log' }, 'gateway', out.stream));
    new Logger('Disclosure').warn(`register refused ${MATRICULE} with ${JWT}`);
    new Logger('Requests').log({ msg: 'request completed', detail: `Bearer ${JWT}`, code: 'OK' });
    new Logger('Hidden').debug('below LOG_LEVEL');
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 40,
      name: 'gateway',
      context: 'Disclosure',
      msg: 'register refused [matricule] with [token]',
    });
    expect(typeof lines[0].time).toBe('string');
    expect(lines[1]).toMatchObject({ context: 'Requests', code: 'OK', detail: 'Bearer [token]' });
    expect(out.lines().join('\n')).not.toMatch(/\d{13}|eyJ/);
  });

  it('writes lines for people with LOG_FORMAT=pretty', () => {
    const out = sink();
    Logger.overrideLogger(createLogger({ logFormat: 'pretty', logLevel: 'log' }, 'worker', out.stream));
    new Logger('Worker').log(`worker ready for ${MATRICULE}`);
    const [line] = out.lines();
    expect(line).toMatch(/INFO.*\[Worker\] worker ready for \[matricule\]/);
    expect(() => JSON.parse(line)).toThrow();
  });
});
