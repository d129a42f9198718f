import type { SourceDescriptor } from '../catalogue/source-descriptor';

/** The RNPP's data items: today's names, kept as they are (every consent and trust file relies on them). */
export const RNPP_CATALOGUE = {
  name: 'rnpp',
  authoritative: true,
  titles: {
    en: 'National Register of Natural Persons (RNPP)',
    fr: 'Registre national des personnes physiques (RNPP)',
    de: 'Nationales Register der natürlichen Personen (RNPP)',
    lb: 'Nationale Register vun de natierleche Persounen (RNPP)',
  },
  items: [
    {
      name: 'name',
      fields: ['surname', 'givenNames'],
      registerFields: ['surname', 'givenNames'],
      description: 'Surname and given names.',
    },
    {
      name: 'birth',
      fields: ['birthDate', 'birthPlace'],
      registerFields: ['birthDate', 'birthPlace'],
      description: 'Date and place of birth.',
    },
    { name: 'sex', fields: ['sex'], registerFields: ['sex'], description: 'Sex as recorded.' },
    {
      name: 'nationality',
      fields: ['nationalities'],
      registerFields: ['nationalities'],
      description: 'Nationalities.',
    },
    { name: 'address', fields: ['address'], registerFields: ['address'], description: 'Residence address.' },
    {
      name: 'civilStatus',
      fields: ['civilStatus'],
      registerFields: ['civilStatus'],
      description: 'Civil (family) status.',
    },
    {
      name: 'refugeeStatus',
      fields: ['refugeeStatus'],
      registerFields: ['refugeeStatus'],
      description: 'International protection status.',
    },
    {
      name: 'filiation',
      fields: ['parents', 'children'],
      registerFields: ['parents', 'children'],
      description: "Parents' and children's matricules.",
    },
    {
      name: 'death',
      fields: ['deathDate', 'deathPlace'],
      registerFields: ['deathDate', 'deathPlace'],
      description: 'Date and place of death.',
    },
    {
      name: 'nobleTitle',
      fields: ['nobleTitle'],
      registerFields: ['nobleTitle'],
      description: 'Title of nobility.',
    },
  ],
} as const satisfies SourceDescriptor;
