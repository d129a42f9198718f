import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { generatePopulation } from '../../rnpp-simulator/src/population';
import { AFFILIATION_STATUSES, type Affiliation, createAffiliationRegister } from './affiliations';
import { buildSimulator, SOAP_PATH } from './server';
import { CCSS_NS, FAULT_CODES, OPERATION, SOAP_ACTION } from './soap-envelope';

// The contract and the server must not drift apart: the adapter is written from the WSDL.
const text = readFileSync(join(__dirname, '../../../contracts/ccss-affiliations.wsdl'), 'utf8');
const asArray = (name: string) =>
  ['xsd:element', 'xsd:enumeration', 'xsd:simpleType', 'wsdl:message'].includes(name);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wsdl: any = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: asArray }).parse(
  text,
)['wsdl:definitions'];
const schema = wsdl['wsdl:types']['xsd:schema'];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const element = (name: string): any => schema['xsd:element'].find((e: { name: string }) => e.name === name);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sequence = (complexType: any): any[] => complexType['xsd:sequence']['xsd:element'];
const names = (elements: { name: string }[]): string[] => elements.map((e) => e.name);

describe('contracts/ccss-affiliations.wsdl', () => {
  const population = generatePopulation({ size: 1000, seed: 5 });
  const register = createAffiliationRegister(population);
  const matricules = population.list(0, 1000);

  it('is well-formed WSDL 1.1 in the simulator’s namespace', () => {
    expect(XMLValidator.validate(text)).toBe(true);
    expect(wsdl.targetNamespace).toBe(CCSS_NS);
    expect(schema.targetNamespace).toBe(CCSS_NS);
    expect(schema.elementFormDefault).toBe('qualified');
  });

  it('offers the one operation the server answers, document/literal over SOAP 1.1 HTTP', () => {
    expect(wsdl['wsdl:portType']['wsdl:operation'].name).toBe(OPERATION);
    const binding = wsdl['wsdl:binding'];
    expect(binding['soap:binding']).toEqual({
      style: 'document',
      transport: 'http://schemas.xmlsoap.org/soap/http',
    });
    expect(binding['wsdl:operation'].name).toBe(OPERATION);
    expect(binding['wsdl:operation']['soap:operation'].soapAction).toBe(SOAP_ACTION);
    const location = new URL(wsdl['wsdl:service']['wsdl:port']['soap:address'].location);
    expect([location.port, location.pathname]).toEqual(['4101', SOAP_PATH]);
    const parts = Object.fromEntries(
      wsdl['wsdl:message'].map((m: { name: string; 'wsdl:part': { element: string } }) => [
        m.name,
        m['wsdl:part'].element,
      ]),
    );
    expect(parts).toEqual({
      GetAffiliationsRequest: `tns:${OPERATION}`,
      GetAffiliationsResponse: `tns:${OPERATION}Response`,
      AffiliationFault: 'tns:AffiliationFault',
    });
  });

  it('declares the request the server reads and the fault codes it answers', () => {
    expect(names(sequence(element(OPERATION)['xsd:complexType']))).toEqual(['matricule']);
    const code = sequence(element('AffiliationFault')['xsd:complexType'])[0];
    expect(
      code['xsd:simpleType'][0]['xsd:restriction']['xsd:enumeration'].map((e: { value: string }) => e.value),
    ).toEqual([...FAULT_CODES]);
    const status = schema['xsd:simpleType'].find((t: { name: string }) => t.name === 'AffiliationStatus');
    expect(status['xsd:restriction']['xsd:enumeration'].map((e: { value: string }) => e.value)).toEqual([
      ...AFFILIATION_STATUSES,
    ]);
  });

  it('declares exactly the elements of the server’s answers, in their order', async () => {
    const response = sequence(element(`${OPERATION}Response`)['xsd:complexType']);
    expect(names(response)).toEqual(['matricule', 'affiliations']);
    const item = sequence(response[1]['xsd:complexType'])[0];
    expect(item).toMatchObject({
      name: 'affiliation',
      type: 'tns:Affiliation',
      minOccurs: '0',
      maxOccurs: 'unbounded',
    });
    const affiliation = sequence(schema['xsd:complexType']);
    expect(names(affiliation)).toEqual(['status', 'employerName', 'employerNumber', 'startDate', 'endDate']);
    expect(
      affiliation
        .filter((e: { minOccurs?: string }) => e.minOccurs === '0')
        .map((e: { name: string }) => e.name),
    ).toEqual(['endDate']);

    const closed = matricules.find((m) =>
      (register.affiliationsOf(m) as Affiliation[]).some((a) => a.endDate !== null),
    );
    const app = buildSimulator({ register });
    const res = await app.inject({
      method: 'POST',
      url: SOAP_PATH,
      headers: { 'content-type': 'text/xml' },
      payload:
        `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><c:${OPERATION} xmlns:c="${CCSS_NS}">` +
        `<c:matricule>${closed}</c:matricule></c:${OPERATION}></e:Body></e:Envelope>`,
    });
    await app.close();
    const body = new XMLParser({
      removeNSPrefix: true,
      parseTagValue: false,
      isArray: (n) => n === 'affiliation',
    }).parse(res.body).Envelope.Body;
    expect(Object.keys(body)).toEqual([`${OPERATION}Response`]);
    expect(Object.keys(body[`${OPERATION}Response`])).toEqual(['matricule', 'affiliations']);
    const answered = body[`${OPERATION}Response`].affiliations.affiliation as Record<string, string>[];
    const declared = names(affiliation);
    for (const a of answered) {
      expect(Object.keys(a)).toEqual(declared.slice(0, Object.keys(a).length));
      expect(a.employerNumber).toMatch(/^[0-9]{11}$/);
    }
    expect(answered.some((a) => 'endDate' in a)).toBe(true);
  });
});
