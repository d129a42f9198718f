import type { SourceDescriptor } from '../catalogue/source-descriptor';

/** The CCSS (social-security affiliations) data item. */
export const CCSS_CATALOGUE = {
  name: 'ccss',
  titles: {
    en: 'Joint Social Security Centre (CCSS)',
    fr: 'Centre commun de la sécurité sociale (CCSS)',
    de: 'Gemeinsames Zentrum der Sozialversicherung (CCSS)',
    lb: 'Gemeinsaamt Zenter vun der Sozialversécherung (CCSS)',
  },
  items: [
    {
      name: 'affiliation',
      fields: ['affiliations'],
      registerFields: ['affiliations'],
      description: 'Social-security affiliations: status, employer, start and end dates.',
    },
  ],
} as const satisfies SourceDescriptor;
