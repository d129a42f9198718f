import { SINGLETON_HEADERS, repeatedSingletonHeader } from './singleton-headers';

describe('repeatedSingletonHeader', () => {
  it('accepts a request that names each singleton header once', () => {
    expect(
      repeatedSingletonHeader([
        'Host',
        '127.0.0.1:4000',
        'Authorization',
        'Bearer a',
        'Consent-Token',
        'c',
        'Content-Type',
        'application/json',
        'Content-Length',
        '2',
        'X-Correlation-Id',
        'id-1',
      ]),
    ).toBeNull();
  });

  it('accepts repeats of headers that may repeat (Accept, Cookie, Via)', () => {
    expect(
      repeatedSingletonHeader([
        'Accept',
        'a',
        'accept',
        'b',
        'Cookie',
        'x=1',
        'Cookie',
        'y=2',
        'Via',
        '1',
        'Via',
        '2',
      ]),
    ).toBeNull();
  });

  it.each(SINGLETON_HEADERS.map((h) => [h]))(
    'refuses a repeated %s, whatever the case of either name',
    (name) => {
      const upper = name.toUpperCase();
      expect(repeatedSingletonHeader([name, 'a', 'Accept', '*/*', upper, 'b'])).toBe(name);
    },
  );

  it('refuses a repeat even when both values are equal (the parser might join them into one)', () => {
    expect(repeatedSingletonHeader(['X-Correlation-Id', 'same', 'x-correlation-id', 'same'])).toBe(
      'x-correlation-id',
    );
  });

  it('refuses a repeat with an empty value', () => {
    expect(repeatedSingletonHeader(['Authorization', 'Bearer a', 'Authorization', ''])).toBe('authorization');
  });
});
