import { isCalendarDate, isRegisterText, MAX_LIST_LENGTH } from '../register-values';
import { AFFILIATION_STATUSES, type Affiliation, type AffiliationStatus } from './affiliation';
import { CCSS_NS, SOAP_ENV_NS } from './ccss-envelope';
import { parseXmlTree, type XmlElement } from './xml-tree';

/** detail/AffiliationFault/code values of the contract; anything else reads as `OTHER`. */
export const CCSS_FAULT_CODES = [
  'MALFORMED_REQUEST',
  'UNKNOWN_OPERATION',
  'INVALID_MATRICULE',
  'UNKNOWN_MATRICULE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;
export type CcssFaultCode = (typeof CCSS_FAULT_CODES)[number] | 'OTHER';

/**
 * What a CCSS answer says: the affiliations, a SOAP fault (its coded detail), not XML at all, or
 * XML that is not a GetAffiliationsResponse for the person asked (`where` names the element at
 * fault, never a value).
 */
export type CcssAnswer =
  | { kind: 'affiliations'; affiliations: Affiliation[] }
  | { kind: 'fault'; code: CcssFaultCode }
  | { kind: 'malformed' }
  | { kind: 'shape'; where: string };

const EMPLOYER_NUMBER = /^[0-9]{11}$/;
const AFFILIATION_FIELDS = ['status', 'employerName', 'employerNumber', 'startDate', 'endDate'] as const;

const isSoap = (e: XmlElement, local: string) => e.ns === SOAP_ENV_NS && e.local === local;
const isCcss = (e: XmlElement, local: string) => e.ns === CCSS_NS && e.local === local;
const shape = (where: string): CcssAnswer => ({ kind: 'shape', where });

/** The single child `local` in the CCSS namespace, or undefined when absent or repeated. */
function only(parent: XmlElement, local: string): XmlElement | undefined {
  const found = parent.children.filter((c) => isCcss(c, local));
  return found.length === 1 ? found[0] : undefined;
}

function readFault(fault: XmlElement): CcssAnswer {
  // SOAP 1.1: faultcode/faultstring/detail are unqualified; the detail entry is namespaced.
  const detail = fault.children.find((c) => c.ns === undefined && c.local === 'detail');
  const entry = detail?.children.find((c) => isCcss(c, 'AffiliationFault'));
  const code = entry === undefined ? undefined : only(entry, 'code')?.text;
  const known = (CCSS_FAULT_CODES as readonly string[]).includes(code ?? '');
  return { kind: 'fault', code: known ? (code as CcssFaultCode) : 'OTHER' };
}

function readAffiliation(e: XmlElement): Affiliation | string {
  const values: Partial<Record<(typeof AFFILIATION_FIELDS)[number], string>> = {};
  for (const child of e.children) {
    const field = AFFILIATION_FIELDS.find((f) => isCcss(child, f));
    // Unknown elements are dropped (never disclosed), like fields the RNPP adapter was not asked for.
    if (field === undefined) continue;
    if (field in values || child.children.length > 0) return `affiliation.${field}`;
    values[field] = child.text;
  }
  const { status, employerName, employerNumber, startDate, endDate } = values;
  if (!(AFFILIATION_STATUSES as readonly string[]).includes(status ?? '')) return 'affiliation.status';
  if (!isRegisterText(employerName)) return 'affiliation.employerName';
  if (employerNumber === undefined || !EMPLOYER_NUMBER.test(employerNumber))
    return 'affiliation.employerNumber';
  if (!isCalendarDate(startDate)) return 'affiliation.startDate';
  if (endDate !== undefined && (!isCalendarDate(endDate) || endDate < startDate))
    return 'affiliation.endDate';
  return {
    status: status as AffiliationStatus,
    employerName: employerName as string,
    employerNumber,
    startDate,
    endDate: endDate ?? null,
  };
}

/**
 * Reads a CCSS answer for `matricule`: a SOAP 1.1 envelope whose Body holds either one Fault or
 * one `{urn:lu:ccss:affiliations:v1}GetAffiliationsResponse` echoing the matricule asked, with an
 * `affiliations` list (possibly empty) of well-formed affiliations.
 */
export function readCcssAnswer(xml: string, matricule: string): CcssAnswer {
  const root = parseXmlTree(xml);
  if (root === null) return { kind: 'malformed' };
  if (!isSoap(root, 'Envelope')) return shape('Envelope');
  const bodies = root.children.filter((c) => isSoap(c, 'Body'));
  if (bodies.length !== 1) return shape('Body');
  const content = bodies[0].children;
  if (content.length !== 1) return shape('Body');
  if (isSoap(content[0], 'Fault')) return readFault(content[0]);
  const response = content[0];
  if (!isCcss(response, 'GetAffiliationsResponse')) return shape('GetAffiliationsResponse');
  // Another person's record, however well formed, must never be disclosed as this one's.
  if (only(response, 'matricule')?.text !== matricule) return shape('matricule');
  const list = only(response, 'affiliations');
  if (list === undefined || list.text !== '') return shape('affiliations');
  if (list.children.length > MAX_LIST_LENGTH || !list.children.every((c) => isCcss(c, 'affiliation')))
    return shape('affiliations');
  const affiliations: Affiliation[] = [];
  for (const e of list.children) {
    const read = readAffiliation(e);
    if (typeof read === 'string') return shape(read);
    affiliations.push(read);
  }
  return { kind: 'affiliations', affiliations };
}
