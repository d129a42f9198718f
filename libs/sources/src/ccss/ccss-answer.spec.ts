import { generatePopulation } from '../../../../apps/rnpp-simulator/src/population';
import { createAffiliationRegister } from '../../../../apps/ccss-simulator/src/affiliations';
import { affiliationsResponse, faultResponse } from '../../../../apps/ccss-simulator/src/soap-envelope';
import { readCcssAnswer } from './ccss-answer';
import { CCSS_NS, getAffiliationsRequest, SOAP_ENV_NS } from './ccss-envelope';

const population = generatePopulation({ size: 2000, seed: 20131128 });
const register = createAffiliationRegister(population);
const all = population.list(0, population.size);
const many = all.find((m) => (register.affiliationsOf(m) ?? []).length >= 3) as string;
const other = all.find((m) => m !== many) as string;

/** A response built by hand, with `inner` inside GetAffiliationsResponse. */
const crafted = (inner: string, ns = CCSS_NS, envNs = SOAP_ENV_NS) =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="${envNs}"><s:Body>` +
  `<c:GetAffiliationsResponse xmlns:c="${ns}">${inner}</c:GetAffiliationsResponse></s:Body></s:Envelope>`;
const one = (fields: string) => `<c:affiliation>${fields}</c:affiliation>`;
const GOOD =
  '<c:status>EMPLOYED</c:status><c:employerName>Acme</c:employerName>' +
  '<c:employerNumber>19981012345</c:employerNumber><c:startDate>2001-02-03</c:startDate>';

describe('readCcssAnswer', () => {
  it("reads every person's answer as the simulator writes it, open affiliations with a null endDate", () => {
    for (const m of all) {
      const expected = register.affiliationsOf(m) ?? [];
      expect(readCcssAnswer(affiliationsResponse(m, expected), m)).toEqual({
        kind: 'affiliations',
        affiliations: expected,
      });
    }
  });

  it('reads an empty list as an answer, not an error', () => {
    expect(readCcssAnswer(affiliationsResponse(many, []), many)).toEqual({
      kind: 'affiliations',
      affiliations: [],
    });
    expect(readCcssAnswer(crafted(`<c:matricule>${many}</c:matricule><c:affiliations/>`), many)).toEqual({
      kind: 'affiliations',
      affiliations: [],
    });
  });

  it('accepts any prefixes and a default namespace: namespaces are compared, not prefixes', () => {
    const xml =
      `<Envelope xmlns="${SOAP_ENV_NS}"><Body><GetAffiliationsResponse xmlns="${CCSS_NS}">` +
      `<matricule>${many}</matricule><affiliations><affiliation>${GOOD.replace(/c:/g, '')}</affiliation>` +
      `</affiliations></GetAffiliationsResponse></Body></Envelope>`;
    expect(readCcssAnswer(xml, many)).toMatchObject({
      kind: 'affiliations',
      affiliations: [{ endDate: null }],
    });
  });

  it('decodes entities and character references in text', () => {
    const named = GOOD.replace('Acme', 'Caf&#233; &amp; Fils &amp;#65;');
    const xml = crafted(`<c:matricule>${many}</c:matricule><c:affiliations>${one(named)}</c:affiliations>`);
    expect(readCcssAnswer(xml, many)).toMatchObject({
      affiliations: [{ employerName: 'Café & Fils &#65;' }],
    });
  });

  it("refuses another person's answer, even a well-formed one", () => {
    const xml = affiliationsResponse(other, register.affiliationsOf(other) ?? []);
    expect(readCcssAnswer(xml, many)).toEqual({ kind: 'shape', where: 'matricule' });
  });

  it('refuses the right elements in another namespace', () => {
    const inner = `<c:matricule>${many}</c:matricule><c:affiliations/>`;
    expect(readCcssAnswer(crafted(inner, 'urn:lu:ccss:affiliations:v2'), many)).toEqual({
      kind: 'shape',
      where: 'GetAffiliationsResponse',
    });
    expect(readCcssAnswer(crafted(inner, CCSS_NS, 'http://www.w3.org/2003/05/soap-envelope'), many)).toEqual({
      kind: 'shape',
      where: 'Envelope',
    });
  });

  it('refuses a missing or repeated element', () => {
    expect(readCcssAnswer(crafted('<c:affiliations/>'), many)).toMatchObject({ where: 'matricule' });
    expect(readCcssAnswer(crafted(`<c:matricule>${many}</c:matricule>`), many)).toMatchObject({
      where: 'affiliations',
    });
    const twice = `<c:matricule>${many}</c:matricule><c:affiliations/><c:affiliations/>`;
    expect(readCcssAnswer(crafted(twice), many)).toMatchObject({ where: 'affiliations' });
    const noStatus = one(GOOD.replace('<c:status>EMPLOYED</c:status>', ''));
    expect(
      readCcssAnswer(
        crafted(`<c:matricule>${many}</c:matricule><c:affiliations>${noStatus}</c:affiliations>`),
        many,
      ),
    ).toMatchObject({ where: 'affiliation.status' });
  });

  it.each([
    ['status', '<c:status>UNEMPLOYED</c:status>'],
    ['employerName', '<c:employerName></c:employerName>'],
    ['employerName', '<c:employerName>Del\u007f</c:employerName>'],
    ['employerName', '<c:employerName>Del&#x7F;</c:employerName>'],
    ['employerNumber', '<c:employerNumber>1998101234</c:employerNumber>'],
    ['employerNumber', '<c:employerNumber>1998101234X</c:employerNumber>'],
    ['startDate', '<c:startDate>03/02/2001</c:startDate>'],
    ['startDate', '<c:startDate>2001-02-30</c:startDate>'],
    ['endDate', '<c:endDate>2001-00-00</c:endDate>'],
    ['endDate', '<c:endDate>2000-01-01</c:endDate>'],
    ['status', '<c:status>EMPLOYED</c:status><c:status>EMPLOYED</c:status>'],
    ['startDate', '<c:startDate><c:x/>2001-02-03</c:startDate>'],
  ])('refuses an affiliation whose %s is %s', (field, element) => {
    const replaced = GOOD.replace(new RegExp(`<c:${field}>[^<]*</c:${field}>`), '');
    const xml = crafted(
      `<c:matricule>${many}</c:matricule><c:affiliations>${one(replaced + element)}</c:affiliations>`,
    );
    expect(readCcssAnswer(xml, many)).toEqual({ kind: 'shape', where: `affiliation.${field}` });
  });

  it('reads a SOAP fault as its coded detail, and an unknown code as OTHER', () => {
    for (const code of ['UNKNOWN_MATRICULE', 'SERVICE_UNAVAILABLE', 'INVALID_MATRICULE'] as const) {
      const xml = faultResponse({
        faultcode: code === 'SERVICE_UNAVAILABLE' ? 'Server' : 'Client',
        faultstring: 'x',
        code,
      });
      expect(readCcssAnswer(xml, many)).toEqual({ kind: 'fault', code });
    }
    const bare = `<s:Envelope xmlns:s="${SOAP_ENV_NS}"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>x</faultstring></s:Fault></s:Body></s:Envelope>`;
    expect(readCcssAnswer(bare, many)).toEqual({ kind: 'fault', code: 'OTHER' });
  });

  it('reads cut, garbled or DTD-carrying XML as malformed', () => {
    const xml = affiliationsResponse(many, register.affiliationsOf(many) ?? []);
    expect(readCcssAnswer(xml.slice(0, xml.length / 2), many)).toEqual({ kind: 'malformed' });
    expect(readCcssAnswer('<html><body>Bad gateway', many)).toEqual({ kind: 'malformed' });
    expect(readCcssAnswer('', many)).toEqual({ kind: 'malformed' });
    expect(readCcssAnswer(`<!DOCTYPE x [<!ENTITY e "e">]>${xml.replace(/^<\?xml[^>]*>/, '')}`, many)).toEqual(
      {
        kind: 'malformed',
      },
    );
  });

  it('builds a request the simulator reads back, escaping whatever it is given', () => {
    expect(getAffiliationsRequest(many)).toContain(`<ccss:matricule>${many}</ccss:matricule>`);
    expect(getAffiliationsRequest('<x/>')).toContain('&lt;x/&gt;');
  });
});
