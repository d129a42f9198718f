import { XMLBuilder } from 'fast-xml-parser';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const CCSS_NS = 'urn:lu:ccss:affiliations:v1';
export const SOAP_ACTION = `${CCSS_NS}#GetAffiliations`;

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

/** The SOAP 1.1 `GetAffiliations` request (document/literal, contracts/ccss-affiliations.wsdl). */
export function getAffiliationsRequest(matricule: string): string {
  // The builder escapes text, so even an unchecked value could not change the envelope's structure.
  const xml = builder.build({
    'soap:Envelope': {
      '@_xmlns:soap': SOAP_ENV_NS,
      '@_xmlns:ccss': CCSS_NS,
      'soap:Body': { 'ccss:GetAffiliations': { 'ccss:matricule': matricule } },
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>${xml}`;
}
