import { isUnsafeMethod, newState, originProblem, ownOrigin, tokensEqual } from './same-origin';

describe('isUnsafeMethod', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])('%s changes something', (m) => {
    expect(isUnsafeMethod(m)).toBe(true);
  });
  it.each(['GET', 'HEAD', 'OPTIONS'])('%s does not', (m) => {
    expect(isUnsafeMethod(m)).toBe(false);
  });
});

describe('ownOrigin and originProblem', () => {
  it('is the configured public origin when there is one, whatever the Host', () => {
    expect(ownOrigin('https://broker.example.lu', 'http', '10.0.0.5:4000')).toBe('https://broker.example.lu');
  });

  it('is the scheme and Host of the request otherwise', () => {
    expect(ownOrigin(undefined, 'http', '127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(ownOrigin(undefined, 'http', undefined)).toBeNull();
  });

  it('accepts the own origin only', () => {
    expect(originProblem('http://127.0.0.1:4000', 'http://127.0.0.1:4000')).toBeNull();
    expect(originProblem('HTTPS://Broker.example.lu', 'https://broker.example.lu')).toBeNull();
  });

  it.each([
    ['a missing Origin', undefined, 'no Origin header'],
    ['another site', 'https://evil.example', 'Origin is not this site'],
    ['another port', 'http://127.0.0.1:4001', 'Origin is not this site'],
    ['another scheme', 'https://127.0.0.1:4000', 'Origin is not this site'],
    ['"null" (sandboxed frames, data: URLs)', 'null', 'Origin is not this site'],
    ['a suffix trick', 'http://127.0.0.1:4000.evil.example', 'Origin is not this site'],
    ['a repeated header', ['http://127.0.0.1:4000', 'http://127.0.0.1:4000'], 'Origin is not this site'],
  ])('refuses %s', (_label, origin, problem) => {
    expect(originProblem(origin, 'http://127.0.0.1:4000')).toBe(problem);
  });

  it('refuses everything when the own origin is unknown', () => {
    expect(originProblem('http://127.0.0.1:4000', null)).toBe('Origin is not this site');
  });
});

describe('newState and tokensEqual', () => {
  it('makes unguessable, distinct states of 43 base64url characters', () => {
    const a = newState();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newState()).not.toBe(a);
  });

  it('matches equal tokens only', () => {
    const s = newState();
    expect(tokensEqual(s, s)).toBe(true);
    expect(tokensEqual(`${s}x`, s)).toBe(false);
    expect(tokensEqual(s.slice(1), s)).toBe(false);
    expect(tokensEqual(newState(), s)).toBe(false);
  });

  it('never matches a missing or empty token, nor a non-string', () => {
    expect(tokensEqual('', '')).toBe(false);
    expect(tokensEqual(undefined, 'x')).toBe(false);
    expect(tokensEqual('x', undefined)).toBe(false);
    expect(tokensEqual(['x'], 'x')).toBe(false);
  });
});
