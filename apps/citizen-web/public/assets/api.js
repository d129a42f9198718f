// @ts-check
// Talking to the broker: GraphQL at /graphql with the citizen's token as a Bearer, and the /me
// routes for signing in and out. The token lives in sessionStorage only: it is gone when the tab
// is closed, and the HttpOnly cookie (set by the broker) serves the download links.

const TOKEN_KEY = 'citizen-web.token';
const NAME_KEY = 'citizen-web.name';

/** An error the page can explain: a GraphQL `extensions.code`, or NETWORK / HTTP_<status>. */
export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message ?? code);
    this.name = 'ApiError';
    this.code = code;
  }
}

/** @type {() => void} */
let onUnauthenticated = () => {};

/**
 * Called when the broker says the token is no longer good (the page goes back to sign-in).
 * @param {() => void} fn
 */
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

// ---- session -----------------------------------------------------------------------------------

/** @returns {string | null} */
export function token() {
  return window.sessionStorage.getItem(TOKEN_KEY);
}

/** @returns {string | null} the signed-in person's name, when the sign-in told us */
export function signedInName() {
  return window.sessionStorage.getItem(NAME_KEY);
}

/**
 * @param {string} value
 * @param {string | null} name
 */
function keepSession(value, name) {
  window.sessionStorage.setItem(TOKEN_KEY, value);
  if (name) window.sessionStorage.setItem(NAME_KEY, name);
  else window.sessionStorage.removeItem(NAME_KEY);
}

export function forgetSession() {
  window.sessionStorage.removeItem(TOKEN_KEY);
  window.sessionStorage.removeItem(NAME_KEY);
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function send(url, init) {
  try {
    return await fetch(url, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError('NETWORK');
  }
}

/**
 * A one-time state from the broker, to echo in X-CSRF-Token on the next sign-in or sign-out: the
 * broker refuses a /me request that changes something without it (and without our Origin).
 * @returns {Promise<string>}
 */
async function freshState() {
  const res = await send('/me/session/state', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new ApiError(await errorCode(res));
  const body = /** @type {{ state: string }} */ (await res.json());
  return body.state;
}

/** @typedef {{ matricule: string, name: string }} DemoCitizen */

/**
 * The synthetic citizens of the demo sign-in, or null when demo sign-in is off (production).
 * @returns {Promise<DemoCitizen[] | null>}
 */
export async function demoCitizens() {
  const res = await send('/me/demo/citizens', { headers: { accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new ApiError(await errorCode(res));
  /** @type {DemoCitizen[] | { citizens: DemoCitizen[] }} */
  const body = await res.json();
  return Array.isArray(body) ? body : body.citizens;
}

/**
 * Signs in as a demo citizen.
 * @param {DemoCitizen} citizen
 */
export async function demoSignIn(citizen) {
  const state = await freshState();
  const res = await send('/me/demo/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': state },
    body: JSON.stringify({ matricule: citizen.matricule }),
  });
  if (!res.ok) throw new ApiError(await errorCode(res));
  const body = /** @type {{ token: string, expiresAt: string, subject: string }} */ (await res.json());
  keepSession(body.token, citizen.name);
}

/**
 * Picks up a session from the broker's cookie: after the national sign-in (the identity
 * provider posts to /me/session, which sends the browser back to /me), or in a new tab.
 * @returns {Promise<boolean>} whether there is a session now
 */
export async function restoreSession() {
  /** @type {Response} */
  let res;
  try {
    res = await fetch('/me/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  } catch {
    return false;
  }
  if (!res.ok) return false;
  try {
    const body = /** @type {{ token?: unknown }} */ (await res.json());
    if (typeof body.token !== 'string' || !body.token) return false;
    keepSession(body.token, null);
    return true;
  } catch {
    return false;
  }
}

/** Ends the session at the broker (cookie) and here (storage); never fails. */
export async function signOut() {
  const bearer = token();
  forgetSession();
  try {
    const state = await freshState();
    /** @type {Record<string, string>} */
    const headers = { 'x-csrf-token': state };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    await fetch('/me/session', { method: 'DELETE', credentials: 'same-origin', headers });
  } catch {
    // offline: the token is forgotten here anyway and expires soon
  }
}

/**
 * The error code of a failed /me response (`{ errors: [{ extensions: { code } }] }`), else HTTP_<status>.
 * @param {Response} res
 */
async function errorCode(res) {
  try {
    const body = await res.json();
    return body?.errors?.[0]?.extensions?.code ?? body?.code ?? `HTTP_${res.status}`;
  } catch {
    return `HTTP_${res.status}`;
  }
}

// ---- GraphQL -----------------------------------------------------------------------------------

/**
 * @typedef {{ message: string, path?: (string | number)[],
 *   extensions?: { code?: string, source?: string } }} GraphQLError
 */

/**
 * Posts one GraphQL operation as the signed-in citizen; answers the body as it came.
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @returns {Promise<{ res: Response, body: { data?: any, errors?: GraphQLError[] } }>}
 */
async function post(query, variables) {
  const bearer = token();
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await send('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  try {
    return { res, body: await res.json() };
  } catch {
    throw new ApiError(`HTTP_${res.status}`);
  }
}

/**
 * The error to throw for a GraphQL error (an ended session also sends the page back to sign-in).
 * @param {GraphQLError} error
 */
function apiError(error) {
  const code = error.extensions?.code ?? 'INTERNAL_ERROR';
  if (code === 'UNAUTHENTICATED') {
    forgetSession();
    onUnauthenticated();
  }
  return new ApiError(code, error.message);
}

/**
 * Runs one GraphQL operation as the signed-in citizen; any error fails it.
 * @template T
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<T>}
 */
export async function graphql(query, variables = {}) {
  const { res, body } = await post(query, variables);
  const first = body.errors?.[0];
  if (first) throw apiError(first);
  if (!res.ok || !body.data) throw new ApiError(`HTTP_${res.status}`);
  return /** @type {T} */ (body.data);
}

// ---- the operations of the page (the broker's citizen contract) --------------------------------

/**
 * @typedef {{ id: string, name: string }} MemberView
 * @typedef {{ code: string, labels: import('./i18n.js').LocalizedText }} PurposeView
 * @typedef {{ source: string, items: string[], failedItems: string[] }} EntrySource
 * @typedef {{
 *   id: string, occurredAt: string, channel: string, member: MemberView, purpose: PurposeView | null,
 *   itemsRequested: string[], itemsDisclosed: string[], outcome: string, reasonCode: string | null,
 *   sources: EntrySource[], consentJti: string | null, consentIssuer: string | null, jobId: string | null,
 *   reported: boolean
 * }} AccessLogEntry
 * @typedef {{ name: string, titles: import('./i18n.js').LocalizedText, items: string[] }} SourceView
 * @typedef {{ edges: { cursor: string, node: AccessLogEntry }[],
 *   pageInfo: { hasNextPage: boolean, endCursor: string | null }, totalCount: number }} AccessLogConnection
 * @typedef {{
 *   jti: string, issuer: string, member: MemberView, purpose: PurposeView, scope: string[],
 *   issuedAt: string, expiresAt: string, status: string, withdrawnAt: string | null,
 *   firstSeenAt: string, lastUsedAt: string | null
 * }} ConsentView
 * @typedef {{
 *   matricule: string, surname?: string | null, givenNames?: string[] | null, birthDate?: string | null,
 *   birthPlace?: { locality?: string | null, country?: string | null } | null, sex?: string | null,
 *   civilStatus?: string | null, nationalities?: string[] | null,
 *   address?: { street?: string | null, houseNumber?: string | null, postalCode?: string | null,
 *     locality?: string | null, commune?: string | null, country?: string | null } | null,
 *   parents?: { matricule: string }[] | null, children?: { matricule: string }[] | null,
 *   affiliations?: Affiliation[] | null, businessRoles?: BusinessRole[] | null
 * }} Person
 * @typedef {{ status: string, employerName: string, employerNumber: string, startDate: string,
 *   endDate: string | null }} Affiliation
 * @typedef {{ rcsNumber: string, companyName: string, role: string, since: string }} BusinessRole
 * @typedef {{ person: Person, failedSources: string[] }} OwnData
 */

const ENTRY_FIELDS = `id occurredAt channel member { id name } purpose { code labels { en fr de lb } }
  itemsRequested itemsDisclosed outcome reasonCode sources { source items failedItems }
  consentJti consentIssuer jobId reported`;

/** @returns {Promise<SourceView[]>} the registers behind the broker, named in the four languages */
export async function sources() {
  /** @type {{ sources: SourceView[] }} */
  const data = await graphql('query Sources { sources { name titles { en fr de lb } items } }');
  return data.sources;
}

/**
 * One page of the citizen's access log, newest first.
 * @param {{ first?: number, after?: string | null, from?: string | null, to?: string | null,
 *   memberId?: string | null }} args
 * @returns {Promise<AccessLogConnection>}
 */
export async function myAccessLog(args) {
  /** @type {{ myAccessLog: AccessLogConnection }} */
  const data = await graphql(
    `query MyAccessLog($first: Int, $after: String, $from: DateTime, $to: DateTime, $memberId: String) {
      myAccessLog(first: $first, after: $after, from: $from, to: $to, memberId: $memberId) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { ${ENTRY_FIELDS} } }
      }
    }`,
    args,
  );
  return data.myAccessLog;
}

/**
 * The tlog-proofs of one page of the access log (the same page arguments as `myAccessLog`): a
 * second query, so that the list shows before the broker has computed its proofs. A proof is null
 * until a published checkpoint covers its entry.
 * @param {{ first?: number, after?: string | null, from?: string | null, to?: string | null,
 *   memberId?: string | null }} args
 * @returns {Promise<{ id: string, proof: string | null }[]>}
 */
export async function myAccessLogProofs(args) {
  /** @type {{ myAccessLog: { edges: { node: { id: string, proof: string | null } }[] } }} */
  const data = await graphql(
    `
      query MyAccessLogProofs(
        $first: Int
        $after: String
        $from: DateTime
        $to: DateTime
        $memberId: String
      ) {
        myAccessLog(first: $first, after: $after, from: $from, to: $to, memberId: $memberId) {
          edges {
            node {
              id
              proof
            }
          }
        }
      }
    `,
    args,
  );
  return data.myAccessLog.edges.map((e) => e.node);
}

/** @type {Promise<import('./tlog-verify.js').LogTrust> | null} */
let logTrustOnce = null;

/**
 * Whom the proofs must satisfy: the log's key, its witnesses and the quorum (GET /log/witnesses,
 * public). Fetched once per page load; a failure is retried next time.
 * @returns {Promise<import('./tlog-verify.js').LogTrust>}
 */
export function logTrust() {
  logTrustOnce ??= (async () => {
    const res = await send('/log/witnesses', { headers: { accept: 'application/json' } });
    if (!res.ok) throw new ApiError(await errorCode(res));
    return /** @type {import('./tlog-verify.js').LogTrust} */ (await res.json());
  })();
  logTrustOnce.catch(() => (logTrustOnce = null));
  return logTrustOnce;
}

/** @returns {Promise<MemberView[]>} */
export async function myMembers() {
  /** @type {{ myMembers: MemberView[] }} */
  const data = await graphql('query MyMembers { myMembers { id name } }');
  return data.myMembers;
}

const CONSENT_FIELDS = `jti issuer member { id name } purpose { code labels { en fr de lb } } scope
  issuedAt expiresAt status withdrawnAt firstSeenAt lastUsedAt`;

/** @returns {Promise<ConsentView[]>} */
export async function myConsents() {
  /** @type {{ myConsents: ConsentView[] }} */
  const data = await graphql(`query MyConsents { myConsents { ${CONSENT_FIELDS} } }`);
  return data.myConsents;
}

/**
 * @param {string} jti
 * @returns {Promise<ConsentView>}
 */
export async function withdrawConsent(jti) {
  /** @type {{ withdrawConsent: ConsentView }} */
  const data = await graphql(
    `mutation WithdrawConsent($jti: ID!) { withdrawConsent(jti: $jti) { ${CONSENT_FIELDS} } }`,
    { jti },
  );
  return data.withdrawConsent;
}

/**
 * @param {string} entryId
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function reportAccess(entryId, text) {
  /** @type {{ reportAccess: boolean }} */
  const data = await graphql(
    'mutation ReportAccess($entryId: ID!, $text: String!) { reportAccess(entryId: $entryId, text: $text) }',
    { entryId, text },
  );
  return data.reportAccess;
}

const MY_DATA = `
  query MyData {
    myData {
      matricule
      surname
      givenNames
      birthDate
      birthPlace {
        locality
        country
      }
      sex
      civilStatus
      nationalities
      address {
        street
        houseNumber
        postalCode
        locality
        commune
        country
      }
      parents {
        matricule
      }
      children {
        matricule
      }
      affiliations {
        status
        employerName
        employerNumber
        startDate
        endDate
      }
      businessRoles {
        rcsNumber
        companyName
        role
        since
      }
    }
  }
`;

/**
 * The citizen's own data from every register (this read is itself logged). A register that fails
 * leaves its fields null, each with a SOURCE_UNAVAILABLE error naming it: the others' data is
 * still shown, and `failedSources` names the registers that did not answer.
 * @returns {Promise<OwnData>}
 */
export async function myData() {
  const { res, body } = await post(MY_DATA, {});
  const errors = body.errors ?? [];
  const person = /** @type {Person | null | undefined} */ (body.data?.myData);
  const partial = errors.every((e) => e.extensions?.code === 'SOURCE_UNAVAILABLE' && e.path?.length === 2);
  if (errors.length && (!person || !partial)) throw apiError(errors[0]);
  if (!res.ok || !person) throw new ApiError(`HTTP_${res.status}`);
  const failedSources = [...new Set(errors.map((e) => e.extensions?.source).filter((s) => s !== undefined))];
  return { person, failedSources: /** @type {string[]} */ (failedSources) };
}
