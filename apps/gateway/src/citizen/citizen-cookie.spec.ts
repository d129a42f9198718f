import {
  CITIZEN_COOKIE,
  clearedSessionCookie,
  clearedStateCookie,
  cookieValue,
  sessionCookie,
  stateCookie,
} from './citizen-cookie';

describe('cookieValue', () => {
  it('finds a cookie among others, trimming spaces', () => {
    expect(cookieValue('a=1; broker_citizen=x.y.z; b=2', CITIZEN_COOKIE)).toBe('x.y.z');
    expect(cookieValue('broker_citizen=x.y.z', CITIZEN_COOKIE)).toBe('x.y.z');
    expect(cookieValue('broker_citizen="x.y.z"', CITIZEN_COOKIE)).toBe('x.y.z');
  });

  it('does not match a cookie whose name only contains the name', () => {
    expect(cookieValue('xbroker_citizen=1; broker_citizen_old=2', CITIZEN_COOKIE)).toBeUndefined();
  });

  it('answers undefined without a header or without the cookie', () => {
    expect(cookieValue(undefined, CITIZEN_COOKIE)).toBeUndefined();
    expect(cookieValue('', CITIZEN_COOKIE)).toBeUndefined();
    expect(cookieValue('garbage', CITIZEN_COOKIE)).toBeUndefined();
  });
});

describe('sessionCookie', () => {
  it('is HttpOnly, SameSite=Strict, on /me, Secure unless plain http', () => {
    expect(sessionCookie('t', 600, false)).toBe(
      'broker_citizen=t; Path=/me; HttpOnly; SameSite=Strict; Max-Age=600; Secure',
    );
    expect(sessionCookie('t', 600.9, true)).toBe(
      'broker_citizen=t; Path=/me; HttpOnly; SameSite=Strict; Max-Age=600',
    );
  });

  it('never has a negative Max-Age, and clears with Max-Age=0', () => {
    expect(sessionCookie('t', -5, false)).toContain('Max-Age=0');
    expect(clearedSessionCookie(false)).toBe(
      'broker_citizen=; Path=/me; HttpOnly; SameSite=Strict; Max-Age=0; Secure',
    );
  });
});

describe('stateCookie', () => {
  it('is HttpOnly on /me; SameSite=None and Secure (for an identity provider form post) unless plain http', () => {
    expect(stateCookie('s', 600, false)).toBe(
      'broker_state=s; Path=/me; HttpOnly; SameSite=None; Secure; Max-Age=600',
    );
    expect(stateCookie('s', 600, true)).toBe('broker_state=s; Path=/me; HttpOnly; SameSite=Lax; Max-Age=600');
  });

  it('is spent with Max-Age=0', () => {
    expect(clearedStateCookie(true)).toBe('broker_state=; Path=/me; HttpOnly; SameSite=Lax; Max-Age=0');
  });
});
