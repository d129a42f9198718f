import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import {
  execute,
  parse,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { BrokerError, ErrorCode } from '@broker/errors';
import { makeFormatError } from '../graphql/error-mapper';
import { GatewayMetrics } from '../health/gateway-metrics';
import { Registry } from 'prom-client';
import { partialAnswer } from './partial-answer';
import { PersonResolver } from './person.resolver';

/**
 * Executed with graphql-js over the schema the gateway serves (built by @nestjs/graphql from the
 * code, as the gateway and the contract generator build it: its field resolvers are Nest's, not
 * graphql-js's default one), and formatted by the gateway's own error mapper.
 */
let schema: GraphQLSchema;

beforeAll(async () => {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  schema = await app.get(GraphQLSchemaFactory).create([PersonResolver]);
  await app.close();
});

const M = '1980010112345';
const AFFILIATIONS = [
  {
    status: 'EMPLOYED',
    employerName: 'Banque de l’Alzette S.A.',
    employerNumber: '19314479157',
    startDate: '2001-02-03',
    endDate: null,
  },
];
const ROLES = [
  { rcsNumber: 'B62798', companyName: 'Alzette Logistique', role: 'MANAGER', since: '2009-07-23' },
];
const VALUES = {
  matricule: M,
  surname: 'Pereira',
  givenNames: ['Ana', 'Maria'],
  affiliations: AFFILIATIONS,
  businessRoles: ROLES,
};

const unavailable = (source: string, problem?: string) =>
  new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
    source,
    ...(problem ? { problem } : {}),
  });

/** Runs `{ person { <selection> } }` over `person` and formats its errors as the gateway does. */
async function run(
  person: Record<string, unknown>,
  selection: string,
): Promise<{ data: ExecutionResult['data']; errors: GraphQLFormattedError[] }> {
  const result = await execute({
    schema,
    document: parse(`query Q($m: ID!) { person(matricule: $m) { ${selection} } }`),
    rootValue: { person },
    variableValues: { m: M },
  });
  const format = makeFormatError(new GatewayMetrics(new Registry()));
  return { data: result.data, errors: (result.errors ?? []).map((e) => format(e.toJSON(), e)) };
}

const ACROSS = `matricule surname affiliations { status employerName endDate } businessRoles { rcsNumber role }`;

describe('partialAnswer, executed over the gateway schema', () => {
  it('answers every field when no source failed, with the same object', async () => {
    expect(partialAnswer(VALUES, [])).toBe(VALUES);
    const { data, errors } = await run(partialAnswer(VALUES, []), ACROSS);
    expect(errors).toEqual([]);
    expect(data).toEqual({
      person: {
        matricule: M,
        surname: 'Pereira',
        affiliations: [{ status: 'EMPLOYED', employerName: 'Banque de l’Alzette S.A.', endDate: null }],
        businessRoles: [{ rcsNumber: 'B62798', role: 'MANAGER' }],
      },
    });
  });

  it("answers the other sources' fields and fails the failed source's field at its own path", async () => {
    const { affiliations: _gone, ...rest } = VALUES;
    const person = partialAnswer(rest, [{ fields: ['affiliations'], error: unavailable('ccss', 'timeout') }]);
    const { data, errors } = await run(person, ACROSS);
    expect(data).toEqual({
      person: {
        matricule: M,
        surname: 'Pereira',
        affiliations: null,
        businessRoles: [{ rcsNumber: 'B62798', role: 'MANAGER' }],
      },
    });
    expect(errors).toEqual([
      {
        message: 'The register did not answer; try again later.',
        path: ['person', 'affiliations'],
        locations: [expect.objectContaining({ line: 1 })],
        extensions: { code: 'SOURCE_UNAVAILABLE', retryable: true, source: 'ccss', problem: 'timeout' },
      },
    ]);
  });

  it('gives each selected field of a failed source its own error; an aliased field keeps its alias', async () => {
    const person = partialAnswer({ matricule: M, businessRoles: ROLES }, [
      { fields: ['surname', 'givenNames'], error: unavailable('rnpp') },
      { fields: ['affiliations'], error: unavailable('ccss', 'malformed') },
    ]);
    const { data, errors } = await run(
      person,
      'surname names: givenNames affiliations { status } businessRoles { role }',
    );
    expect(data).toEqual({
      person: { surname: null, names: null, affiliations: null, businessRoles: [{ role: 'MANAGER' }] },
    });
    expect(errors.map((e) => [e.path, e.extensions?.code, e.extensions?.source])).toEqual([
      [['person', 'surname'], 'SOURCE_UNAVAILABLE', 'rnpp'],
      [['person', 'names'], 'SOURCE_UNAVAILABLE', 'rnpp'],
      [['person', 'affiliations'], 'SOURCE_UNAVAILABLE', 'ccss'],
    ]);
  });

  it('raises no error for a failed field that is not selected', async () => {
    const person = partialAnswer({ matricule: M, surname: 'Pereira' }, [
      { fields: ['businessRoles'], error: unavailable('rcs', 'credential') },
    ]);
    const { data, errors } = await run(person, 'matricule surname');
    expect(errors).toEqual([]);
    expect(data).toEqual({ person: { matricule: M, surname: 'Pereira' } });
  });

  it('does not change the values it is given', () => {
    const values = { matricule: M, surname: 'Pereira' };
    partialAnswer(values, [{ fields: ['affiliations'], error: unavailable('ccss') }]);
    expect(values).toEqual({ matricule: M, surname: 'Pereira' });
  });
});
