/**
 * Baselines for the benchmarks: a bare Nest + Fastify + Apollo app with the gateway's `Person`
 * type and a `person` resolver, nothing else: no authentication, no consent, no decision, no log.
 *
 * - "bare" (BARE_PERSON set, BARE_RNPP_URL unset): the resolver returns BARE_PERSON from memory.
 * - "bare + register" (BARE_RNPP_URL set): the resolver fetches the person from the RNPP simulator
 *   over HTTP keep-alive, as the gateway's RNPP adapter does (one undici Pool of 64 connections,
 *   `GET /persons/{m}?fields=BARE_RNPP_FIELDS`, the JSON body parsed), without its resilience
 *   wrappers (no timeouts, retries or circuit breaker) and without its answer checks.
 *
 * PORT is the port to listen on. SIGTERM closes the app and exits with 0, so that a profile taken
 * with --cpu-prof is written.
 */
import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Args, GraphQLModule, ID, Query, Resolver } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'undici';
import { Person } from '../apps/gateway/src/person/person.model';

const PERSON = JSON.parse(process.env.BARE_PERSON ?? '{}') as Person;
const RNPP_URL = process.env.BARE_RNPP_URL;
const FIELDS = process.env.BARE_RNPP_FIELDS ?? 'surname,givenNames,birthDate,birthPlace,address';
/** The register's pool, as the adapter's (`RnppHttpSource`): keep-alive, 64 connections. */
const rnpp = RNPP_URL
  ? new Pool(new URL(RNPP_URL).origin, { connections: 64, keepAliveTimeout: 10_000 })
  : null;

@Resolver(() => Person)
class BarePersonResolver {
  @Query(() => Person, { nullable: true })
  async person(@Args('matricule', { type: () => ID }) matricule: string): Promise<Person> {
    if (!rnpp) return { ...PERSON, matricule };
    const res = await rnpp.request({
      path: `/persons/${encodeURIComponent(matricule)}?fields=${FIELDS}`,
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`register answered HTTP ${res.statusCode}`);
    }
    return { ...((await res.body.json()) as Person), matricule };
  }
}

@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      playground: false,
    }),
  ],
  providers: [BarePersonResolver],
})
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), {
    logger: ['error'],
  });
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => rnpp?.close())
      .finally(() => process.exit(0));
  });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
