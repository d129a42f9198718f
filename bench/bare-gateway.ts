/**
 * Baseline for the benchmark: a bare Nest + Fastify + Apollo app whose `person` resolver returns
 * the same object from memory: no authentication, no consent, no register call, no log.
 */
import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Args, GraphQLModule, ID, Query, Resolver } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Person } from '../apps/gateway/src/person/person.model';

const PERSON = JSON.parse(process.env.BARE_PERSON ?? '{}') as Person;

@Resolver(() => Person)
class BarePersonResolver {
  @Query(() => Person, { nullable: true })
  person(@Args('matricule', { type: () => ID }) matricule: string): Person {
    return { ...PERSON, matricule };
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
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

void main();
