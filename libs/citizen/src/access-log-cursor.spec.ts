import fc from 'fast-check';
import { decodeCursor, encodeCursor } from './access-log-cursor';

describe('access-log cursor', () => {
  it('round-trips any seq up to 2^63 - 1 (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), (seq) => {
        const cursor = encodeCursor(seq);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toBe(seq);
      }),
    );
  });

  it('is opaque: not the bare number', () => {
    expect(encodeCursor('42')).not.toContain('42');
    expect(encodeCursor('42')).toBe(encodeCursor(42n));
  });

  it.each([
    ['empty', ''],
    ['plain digits', '42'],
    ['base64 of digits only', Buffer.from('42').toString('base64url')],
    ['another prefix', Buffer.from('al2:42').toString('base64url')],
    ['seq zero', Buffer.from('al1:0').toString('base64url')],
    ['leading zero', Buffer.from('al1:042').toString('base64url')],
    ['negative', Buffer.from('al1:-1').toString('base64url')],
    ['above 2^63 - 1', Buffer.from(`al1:${2n ** 63n}`).toString('base64url')],
    ['trailing text', Buffer.from('al1:42;drop table').toString('base64url')],
    ['padding and non-url characters', 'YWwxOjQy=='],
    ['too long', 'A'.repeat(65)],
  ])('refuses %s', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });
});
