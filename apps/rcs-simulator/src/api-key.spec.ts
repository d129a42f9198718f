import { apiKeyMatches } from './api-key';

describe('the RCS API key check', () => {
  it('matches only the exact key', () => {
    const key = 'a-key-of-the-broker-0123456789';
    expect(apiKeyMatches(key, key)).toBe(true);
    expect(apiKeyMatches(key, `${key} `)).toBe(false);
    expect(apiKeyMatches(key, key.slice(0, -1))).toBe(false);
    expect(apiKeyMatches(key, '')).toBe(false);
    expect(apiKeyMatches(key, undefined)).toBe(false);
    expect(apiKeyMatches(key, [key, key])).toBe(false);
  });
});
