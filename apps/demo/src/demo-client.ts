import { request } from 'undici';
import { mintConsent, mintMemberAssertion } from '@broker/testing';
import { DEMO_BROKER_ID, DEMO_ISSUER, DEMO_MEMBERS, type DevKeys } from './demo-trust';

export const DEMO_QUERY =
  'query Person($m: ID!) { person(matricule: $m) { matricule surname givenNames birthDate birthPlace { locality country } address { street houseNumber postalCode locality commune } } }';

/** First matricules of the simulator's population (test tooling endpoint). */
export async function listPersons(rnppUrl: string, limit = 5): Promise<string[]> {
  const res = await request(`${rnppUrl}/persons?offset=0&limit=${limit}`);
  if (res.statusCode !== 200) throw new Error(`simulator listing answered HTTP ${res.statusCode}`);
  const body = (await res.body.json()) as { items: string[] };
  return body.items;
}

/** A living resident (with an address) for the demo request, so that every asked item has a value. */
export async function demoPerson(rnppUrl: string): Promise<string> {
  const candidates = await listPersons(rnppUrl, 50);
  for (const m of candidates) {
    const res = await request(`${rnppUrl}/persons/${m}?fields=address,deathDate`);
    const p = (await res.body.json()) as { address?: unknown; deathDate?: unknown };
    if (p.address && !p.deathDate) return m;
  }
  return candidates[0];
}

/** A person holding a company role in the RCS register, so that the printed example answers one (else the first candidate). */
export async function roleHolder(rcsUrl: string, apiKey: string, candidates: string[]): Promise<string> {
  const holds = await Promise.all(
    candidates.map(async (m) => {
      try {
        const res = await request(`${rcsUrl}/persons/${m}/roles`, {
          headers: { 'x-api-key': apiKey },
          signal: AbortSignal.timeout(5000),
        });
        if (res.statusCode !== 200) {
          await res.body.dump();
          return false;
        }
        const body = (await res.body.json()) as { roles?: unknown[] };
        return (body.roles?.length ?? 0) > 0;
      } catch {
        return false;
      }
    }),
  );
  return candidates[holds.indexOf(true)] ?? candidates[0] ?? '{matricule}';
}

/** Headers and body of a ready-made demo request: member `ccss`, purpose affiliation, items name+birth+address. */
export async function demoRequest(
  keys: DevKeys,
  matricule: string,
): Promise<{ headers: Record<string, string>; body: string }> {
  const member = DEMO_MEMBERS[0];
  const assertion = await mintMemberAssertion(keys.members[member.id], member.id, DEMO_BROKER_ID, {
    lifetimeS: 300,
  });
  const consent = await mintConsent(keys.issuers[DEMO_ISSUER.id], {
    issuer: DEMO_ISSUER.id,
    subject: matricule,
    audience: member.id,
    purpose: member.grants[0].purpose,
    scope: ['name', 'birth', 'address'],
  });
  return {
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${assertion}`,
      'consent-token': consent,
    },
    body: JSON.stringify({ query: DEMO_QUERY, variables: { m: matricule } }),
  };
}

/** The same request as a shell command to paste. */
export function asCurl(url: string, req: { headers: Record<string, string>; body: string }): string {
  const h = Object.entries(req.headers)
    .map(([k, v]) => `  -H '${k}: ${v}' \\`)
    .join('\n');
  return `curl -s ${url} \\\n${h}\n  --data '${req.body}'`;
}
