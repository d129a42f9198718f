import { isLoopbackHost } from './loopback';

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LOCALHOST',
  ])('accepts %s', (host) => expect(isLoopbackHost(host)).toBe(true));

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    '192.168.1.10',
    '::ffff:10.0.0.1',
    'fe80::1%lo',
    'example.lu',
    'localhost.example.lu',
    '127.0.0.1.nip.io',
    '',
    '[::1]',
  ])('refuses %p', (host) => expect(isLoopbackHost(host)).toBe(false));
});
