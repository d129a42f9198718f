import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import { makeMatricule } from '@broker/matricule';
import { generatePopulation } from '../../rnpp-simulator/src/population';
import { AFFILIATION_STATUSES, type Affiliation, createAffiliationRegister } from './affiliations';
import { readConfig } from './main';
import { buildSimulator } from './server';
import { CCSS_NS, SOAP_ACTION, SOAP_ENV_NS } from './soap-envelope';

const population = generatePopulation({ size: 2000, seed: 7 });
const register = createAffiliationRegister(population);
const all = population.list(0, population.size);
const withMany = all.find((m) => (register.affiliationsOf(m) ?? []).length >= 3) as string;
const withNone = all.find((m) => register.affiliationsOf(m)?.length === 0) as string;
const unknown = makeMatricule('18500101', 1);

// removeNSPrefix: these tests read the answers as a lenient client would; the namespaces are checked apart.
const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'affiliation',
});

const request = (matricule: string, ns = CCSS_NS, envNs = SOAP_ENV_NS) =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="${envNs}" xmlns:c="${ns}"><s:Header/><s:Body>` +
  `<c:GetAffiliations><c:matricule>${matricule}</c:matricule></c:GetAffiliations></s:Body></s:Envelope>`;

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

describe('CCSS simulator over HTTP', () => {
  let app: FastifyInstance;
  let base: string;
  const draws: number[] = [];

  beforeAll(async () => {
    app = buildSimulator({ register, random: () => draws.shift() ?? 0.999 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
  });

  const post = async (body: string, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${base}/ccss`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${SOAP_ACTION}"`, ...headers },
      body,
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const knobs = (body: unknown) =>
    fetch(`${base}/_sim/knobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fault = (answer: Answer): any => {
    expect(answer.status).toBe(500);
    expect(answer.contentType).toMatch(/^text\/xml/);
    return parser.parse(answer.text).Envelope.Body.Fault;
  };

  describe('GetAffiliations', () => {
    it('answers the register’s affiliations of a person, open ones without endDate', async () => {
      const answer = await post(request(withMany));
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/xml/);
      expect(XMLValidator.validate(answer.text)).toBe(true);
      const response = parser.parse(answer.text).Envelope.Body.GetAffiliationsResponse;
      expect(response.matricule).toBe(withMany);
      const expected = register.affiliationsOf(withMany) as Affiliation[];
      expect(
        response.affiliations.affiliation.map((a: Record<string, string>) => ({
          ...a,
          endDate: a.endDate ?? null,
        })),
      ).toEqual(expected);
      expect(expected.every((a) => AFFILIATION_STATUSES.includes(a.status))).toBe(true);
    });

    it('answers an empty list, not a fault, for a person with no affiliation', async () => {
      const answer = await post(request(withNone));
      expect(answer.status).toBe(200);
      const response = parser.parse(answer.text).Envelope.Body.GetAffiliationsResponse;
      expect(response.matricule).toBe(withNone);
      expect(response.affiliations).toBe('');
    });

    it('qualifies the answer in the SOAP 1.1 and CCSS namespaces', async () => {
      const raw = new XMLParser({ ignoreAttributes: false }).parse((await post(request(withMany))).text);
      expect(raw['soap:Envelope']['@_xmlns:soap']).toBe(SOAP_ENV_NS);
      expect(raw['soap:Envelope']['@_xmlns:ccss']).toBe(CCSS_NS);
      expect(Object.keys(raw['soap:Envelope']['soap:Body'])).toEqual(['ccss:GetAffiliationsResponse']);
    });

    it('accepts any prefixes, a default namespace and no SOAPAction', async () => {
      const body =
        `<Envelope xmlns="${SOAP_ENV_NS}"><Body><GetAffiliations xmlns="${CCSS_NS}">` +
        `<matricule>${withMany}</matricule></GetAffiliations></Body></Envelope>`;
      const res = await fetch(`${base}/ccss`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body,
      });
      expect(res.status).toBe(200);
    });

    it('answers a Client fault UNKNOWN_MATRICULE for a matricule not in the register', async () => {
      const f = fault(await post(request(unknown)));
      expect(f.faultcode).toBe('soap:Client');
      expect(f.faultstring).toMatch(/no person/i);
      expect(f.detail.AffiliationFault.code).toBe('UNKNOWN_MATRICULE');
    });

    it('answers a Client fault INVALID_MATRICULE for a matricule that cannot exist', async () => {
      const f = fault(await post(request(`${withMany.slice(0, 12)}${(Number(withMany[12]) + 1) % 10}`)));
      expect(f.faultcode).toBe('soap:Client');
      expect(f.detail.AffiliationFault.code).toBe('INVALID_MATRICULE');
    });

    it.each([
      ['XML that is not well-formed', '<s:Envelope><s:Body>', 'MALFORMED_REQUEST'],
      ['an empty body', '', 'MALFORMED_REQUEST'],
      ['a DTD', `<!DOCTYPE x [<!ENTITY e "y">]>${request(withMany)}`, 'MALFORMED_REQUEST'],
      ['XML that is not an envelope', `<GetAffiliations xmlns="${CCSS_NS}"/>`, 'MALFORMED_REQUEST'],
      ['another operation', request(withMany).replace(/GetAffiliations/g, 'GetSalary'), 'UNKNOWN_OPERATION'],
      ['another namespace', request(withMany, 'urn:other'), 'UNKNOWN_OPERATION'],
      ['no matricule', request(withMany).replace(/<c:matricule>.*<\/c:matricule>/, ''), 'MALFORMED_REQUEST'],
      [
        'two matricules',
        request(withMany).replace(
          '</c:GetAffiliations>',
          `<c:matricule>${withNone}</c:matricule></c:GetAffiliations>`,
        ),
        'MALFORMED_REQUEST',
      ],
    ])('answers a Client fault for %s', async (_name, body, code) => {
      const f = fault(await post(body));
      expect(f.faultcode).toBe('soap:Client');
      expect(f.detail.AffiliationFault.code).toBe(code);
    });

    it('answers a VersionMismatch fault for a SOAP 1.2 envelope', async () => {
      const f = fault(await post(request(withMany, CCSS_NS, 'http://www.w3.org/2003/05/soap-envelope')));
      expect(f.faultcode).toBe('soap:VersionMismatch');
    });

    it('answers a Client fault for another SOAPAction or content type', async () => {
      const action = fault(await post(request(withMany), { soapaction: '"urn:other#Delete"' }));
      expect(action.detail.AffiliationFault.code).toBe('UNKNOWN_OPERATION');
      const json = fault(
        await post(JSON.stringify({ matricule: withMany }), { 'content-type': 'application/json' }),
      );
      expect(json.faultcode).toBe('soap:Client');
      const csv = fault(await post('a,b', { 'content-type': 'text/csv' }));
      expect(csv.faultcode).toBe('soap:Client');
      const big = fault(
        await post(request(withMany).replace('<s:Header/>', `<s:Header>${'x'.repeat(20_000)}</s:Header>`)),
      );
      expect(big.faultcode).toBe('soap:Client');
    });
  });

  describe('WSDL and operations', () => {
    it('serves the WSDL at /ccss?wsdl and /?wsdl', async () => {
      const file = readFileSync(join(__dirname, '../../../contracts/ccss-affiliations.wsdl'), 'utf8');
      for (const path of ['/ccss?wsdl', '/?wsdl']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
        expect(await res.text()).toBe(file);
      }
      expect((await fetch(`${base}/ccss`)).status).toBe(404);
    });

    it('answers /health, never delayed nor failed', async () => {
      expect(await (await knobs({ failureRate: 1, latencyMs: 2000 })).json()).toEqual({
        latencyMs: 2000,
        failureRate: 1,
        malformedRate: 0,
      });
      const started = Date.now();
      const res = await fetch(`${base}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', persons: 2000 });
      expect(Date.now() - started).toBeLessThan(1000);
      await knobs({ failureRate: 0, latencyMs: 0 });
    });
  });

  describe('knobs', () => {
    afterEach(async () => {
      await knobs({ latencyMs: 0, failureRate: 0, malformedRate: 0 });
    });

    it('reads and partially updates the knobs', async () => {
      expect(await (await fetch(`${base}/_sim/knobs`)).json()).toEqual({
        latencyMs: 0,
        failureRate: 0,
        malformedRate: 0,
      });
      const res = await knobs({ malformedRate: 0.25 });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ latencyMs: 0, failureRate: 0, malformedRate: 0.25 });
    });

    it('refuses invalid knobs with a problem naming them', async () => {
      const res = await knobs({ latencyMs: -1, failureRate: 2, malformedRate: 'often', colour: 'red' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { invalidParams: { name: string }[] };
      expect(problem.invalidParams.map((p) => p.name)).toEqual([
        'latencyMs',
        'failureRate',
        'malformedRate',
        'colour',
      ]);
      expect((await knobs([1])).status).toBe(400);
    });

    it('delays answers by latencyMs', async () => {
      await knobs({ latencyMs: 150 });
      const started = Date.now();
      expect((await post(request(withMany))).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('answers a Server fault SERVICE_UNAVAILABLE at failureRate', async () => {
      await knobs({ failureRate: 0.5 });
      draws.push(0.2, 0.9);
      const f = fault(await post(request(withMany)));
      expect(f.faultcode).toBe('soap:Server');
      expect(f.detail.AffiliationFault.code).toBe('SERVICE_UNAVAILABLE');
      expect((await post(request(withMany))).status).toBe(200);
    });

    it('answers truncated XML at malformedRate', async () => {
      await knobs({ malformedRate: 1 });
      const answer = await post(request(withMany));
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^text\/xml/);
      expect(answer.text.length).toBeGreaterThan(0);
      expect(XMLValidator.validate(answer.text)).not.toBe(true);
    });
  });
});

describe('CCSS simulator options and logs', () => {
  it('refuses out-of-range initial knobs', () => {
    expect(() => buildSimulator({ register, failureRate: 2 })).toThrow(RangeError);
    expect(() => buildSimulator({ register, malformedRate: -1 })).toThrow(RangeError);
  });

  it('logs the route and status, never the matricule', async () => {
    const lines: string[] = [];
    const app = buildSimulator({
      register,
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    const payload = request(withMany);
    await app.inject({ method: 'POST', url: '/ccss', headers: { 'content-type': 'text/xml' }, payload });
    await app.inject({
      method: 'POST',
      url: '/ccss',
      headers: { 'content-type': 'text/xml' },
      payload: request(unknown),
    });
    await app.close();
    expect(lines.join('')).not.toContain(withMany.slice(0, 11));
    expect(lines.join('')).not.toContain('18500101');
    const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => [l.route, l.statusCode])).toEqual([
      ['/ccss', 200],
      ['/ccss', 500],
    ]);
  });

  it('reads its configuration like the RNPP simulator, with the RNPP population', () => {
    expect(readConfig({}, [])).toEqual({
      port: 4101,
      host: '127.0.0.1',
      population: 10_000,
      seed: 20131128,
      latencyMs: 0,
      failureRate: 0,
      malformedRate: 0,
      logLevel: 'warn',
    });
    expect(
      readConfig({ CCSS_PORT: '5001', RNPP_POPULATION: '500', RNPP_SEED: '3', CCSS_MALFORMED_RATE: '0.5' }, [
        '--seed=9',
      ]),
    ).toMatchObject({ port: 5001, population: 500, seed: 9, malformedRate: 0.5 });
    expect(() => readConfig({ CCSS_FAILURE_RATE: '2' }, [])).toThrow(RangeError);
    expect(() => readConfig({}, ['--verbose'])).toThrow(RangeError);
  });
});
