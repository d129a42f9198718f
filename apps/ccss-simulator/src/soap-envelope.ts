/**
 * SOAP 1.1 messages of the CCSS simulator, built and read with fast-xml-parser. The names here are
 * the contract in contracts/ccss-affiliations.wsdl; server.spec.ts checks that both agree.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Affiliation } from './affiliations';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const CCSS_NS = 'urn:lu:ccss:affiliations:v1';
export const OPERATION = 'GetAffiliations';
export const SOAP_ACTION = `${CCSS_NS}#${OPERATION}`;
export const SOAP_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** The `code` in a fault's detail: what an adapter maps to its own error codes. */
export const FAULT_CODES = [
  'MALFORMED_REQUEST',
  'UNKNOWN_OPERATION',
  'INVALID_MATRICULE',
  'UNKNOWN_MATRICULE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

export interface Fault {
  /** SOAP 1.1 fault code: the sender's fault (Client), the register's (Server), or the envelope version. */
  faultcode: 'Client' | 'Server' | 'VersionMismatch';
  faultstring: string;
  code: FaultCode;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // A matricule is text, not a number.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function envelope(body: Record<string, unknown>): string {
  const xml = builder.build({
    'soap:Envelope': { '@_xmlns:soap': SOAP_ENV_NS, '@_xmlns:ccss': CCSS_NS, 'soap:Body': body },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>${xml}`;
}

/** `GetAffiliationsResponse`: `endDate` is left out while an affiliation is open. */
export function affiliationsResponse(matricule: string, affiliations: readonly Affiliation[]): string {
  const items = affiliations.map((a) => ({
    'ccss:status': a.status,
    'ccss:employerName': a.employerName,
    'ccss:employerNumber': a.employerNumber,
    'ccss:startDate': a.startDate,
    ...(a.endDate === null ? {} : { 'ccss:endDate': a.endDate }),
  }));
  return envelope({
    'ccss:GetAffiliationsResponse': {
      'ccss:matricule': matricule,
      'ccss:affiliations': items.length === 0 ? '' : { 'ccss:affiliation': items },
    },
  });
}

export function faultResponse(fault: Fault): string {
  return envelope({
    'soap:Fault': {
      faultcode: `soap:${fault.faultcode}`,
      faultstring: fault.faultstring,
      detail: { 'ccss:AffiliationFault': { 'ccss:code': fault.code } },
    },
  });
}

const clientFault = (code: FaultCode, faultstring: string): { fault: Fault } => ({
  fault: { faultcode: 'Client', faultstring, code },
});

type XmlNode = Record<string, unknown>;
const isNode = (value: unknown): value is XmlNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Element children of a node as [prefix, local name, value]; attributes and the declaration are skipped. */
function children(node: XmlNode): [string, string, unknown][] {
  return Object.entries(node)
    .filter(([key]) => !key.startsWith('@_') && !key.startsWith('?') && key !== '#text')
    .map(([key, value]) => {
      const colon = key.indexOf(':');
      return colon < 0 ? ['', key, value] : [key.slice(0, colon), key.slice(colon + 1), value];
    });
}

/** The namespace a prefix stands for, looking from the innermost element outwards. */
function namespaceOf(prefix: string, scopes: readonly XmlNode[]): string | undefined {
  const attribute = prefix === '' ? '@_xmlns' : `@_xmlns:${prefix}`;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const value = scopes[i][attribute];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Reads a `GetAffiliations` request: a SOAP 1.1 envelope whose body holds one
 * `{urn:lu:ccss:affiliations:v1}GetAffiliations` with one `matricule`. Anything else is a fault.
 */
export function readRequest(xml: string): { matricule: string } | { fault: Fault } {
  // SOAP 1.1 forbids a DTD; refusing it also keeps entity expansion out of the parser.
  if (/<!DOCTYPE/i.test(xml))
    return clientFault('MALFORMED_REQUEST', 'A SOAP message must not contain a DTD');
  if (XMLValidator.validate(xml) !== true)
    return clientFault('MALFORMED_REQUEST', 'The request is not well-formed XML');
  const document = parser.parse(xml) as XmlNode;
  const roots = children(document);
  if (roots.length !== 1 || roots[0][1] !== 'Envelope' || !isNode(roots[0][2])) {
    return clientFault('MALFORMED_REQUEST', 'The request is not a SOAP envelope');
  }
  const [envPrefix, , env] = roots[0] as [string, string, XmlNode];
  const envNs = namespaceOf(envPrefix, [env]);
  if (envNs !== SOAP_ENV_NS) {
    return {
      fault: {
        faultcode: 'VersionMismatch',
        faultstring:
          envNs === SOAP12_ENV_NS
            ? 'SOAP 1.2 is not supported: use SOAP 1.1'
            : 'Unknown SOAP envelope namespace',
        code: 'MALFORMED_REQUEST',
      },
    };
  }
  const bodies = children(env).filter(([p, l]) => l === 'Body' && namespaceOf(p, [env]) === SOAP_ENV_NS);
  if (bodies.length !== 1 || !isNode(bodies[0][2])) {
    return clientFault('MALFORMED_REQUEST', 'The envelope has no SOAP Body');
  }
  const body = bodies[0][2];
  const operations = children(body);
  if (operations.length !== 1 || (!isNode(operations[0][2]) && operations[0][2] !== '')) {
    return clientFault('MALFORMED_REQUEST', 'The SOAP Body must hold exactly one request element');
  }
  const [opPrefix, opName, opValue] = operations[0];
  const operation = isNode(opValue) ? opValue : {};
  if (opName !== OPERATION || namespaceOf(opPrefix, [env, body, operation]) !== CCSS_NS) {
    return clientFault('UNKNOWN_OPERATION', `Unknown operation: only ${OPERATION} in ${CCSS_NS} is offered`);
  }
  const fields = children(operation);
  const matricule = fields.find(
    ([p, l]) => l === 'matricule' && namespaceOf(p, [env, body, operation]) === CCSS_NS,
  );
  if (fields.length !== 1 || matricule === undefined || typeof matricule[2] !== 'string') {
    return clientFault('MALFORMED_REQUEST', `${OPERATION} must hold exactly one matricule element`);
  }
  return { matricule: matricule[2] };
}
