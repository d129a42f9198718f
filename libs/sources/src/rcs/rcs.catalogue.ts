import type { SourceDescriptor } from '../catalogue/source-descriptor';

/** The RCS (trade and companies register) data item. */
export const RCS_CATALOGUE = {
  name: 'rcs',
  titles: {
    en: 'Trade and Companies Register (RCS)',
    fr: 'Registre de commerce et des sociétés (RCS)',
    de: 'Handels- und Gesellschaftsregister (RCS)',
    lb: 'Handels- a Gesellschaftsregister (RCS)',
  },
  items: [
    {
      name: 'businessRoles',
      fields: ['businessRoles'],
      registerFields: ['businessRoles'],
      description: 'Roles held in companies: company, RCS number, role and since when.',
    },
  ],
} as const satisfies SourceDescriptor;
