/** The cookie that carries the citizen's ID token to /me (downloads, session). */
export const CITIZEN_COOKIE = 'broker_citizen';

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

/**
 * Set-Cookie for the citizen's session: HttpOnly (no script reads it), SameSite=Strict (no
 * cross-site request carries it), Path=/me (GraphQL never sees it), Max-Age at most until the
 * token's exp, Secure unless `plainHttp` (the development demo on http://127.0.0.1).
 */
export function sessionCookie(token: string, maxAgeS: number, plainHttp: boolean): string {
  const secure = plainHttp ? '' : '; Secure';
  return `${CITIZEN_COOKIE}=${token}; Path=/me; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeS))}${secure}`;
}

/** Set-Cookie that clears the session. */
export function clearedSessionCookie(plainHttp: boolean): string {
  return sessionCookie('', 0, plainHttp);
}

/** The cookie that holds the page's one-time state (the CSRF token of the unsafe /me requests). */
export const STATE_COOKIE = 'broker_state';

/** How long a state from GET /me/session/state stays usable. */
export const STATE_MAX_AGE_S = 600;

/**
 * Set-Cookie for the one-time state: HttpOnly (the page reads the value from the JSON answer),
 * Path=/me. SameSite=None with Secure, so that an identity provider's cross-site form post to
 * /me/session carries it; on the plain-http development demo (where browsers refuse
 * SameSite=None without Secure) SameSite=Lax.
 */
export function stateCookie(state: string, maxAgeS: number, plainHttp: boolean): string {
  const site = plainHttp ? 'SameSite=Lax' : 'SameSite=None; Secure';
  return `${STATE_COOKIE}=${state}; Path=/me; HttpOnly; ${site}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`;
}

/** Set-Cookie that spends the state (each state serves one unsafe request). */
export function clearedStateCookie(plainHttp: boolean): string {
  return stateCookie('', 0, plainHttp);
}
