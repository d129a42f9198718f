import { Writable } from 'node:stream';
import type { GraphQLRequestContextWillSendResponse, GraphQLRequestListener } from '@apollo/server';
import { Logger } from '@nestjs/common';
import { parse, type OperationDefinitionNode } from 'graphql';
import { createLogger } from '@broker/logging';
import type { GatewayContext } from './gateway-context';
import { requestLogPlugin } from './request-log.plugin';

/** Runs the plugin over one request and returns the records it logged. */
async function logged(
  query: string | undefined,
  errors: { extensions?: Record<string, unknown> }[] | undefined,
  ctx: Partial<GatewayContext>,
): Promise<Record<string, unknown>[]> {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  Logger.overrideLogger(createLogger({ logFormat: 'json', logLevel: 'log' }, 'gateway', sink));
  const plugin = requestLogPlugin();
  const listener = (await plugin.requestDidStart!({} as never)) as GraphQLRequestListener<GatewayContext>;
  const operation = query ? (parse(query).definitions[0] as OperationDefinitionNode) : undefined;
  await listener.willSendResponse!({
    contextValue: { correlationId: 'cid-1', ...ctx },
    operation,
    response: { body: { kind: 'single', singleResult: { errors } }, http: {} },
  } as unknown as GraphQLRequestContextWillSendResponse<GatewayContext>);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('requestLogPlugin', () => {
  afterEach(() => Logger.overrideLogger(true));

  it('logs a granted request with its correlation id, member, operation and OK', async () => {
    const [line] = await logged('query Q($m: ID!) { person(matricule: $m) { surname } }', undefined, {
      member: { id: 'ccss' } as GatewayContext['member'],
    });
    expect(line).toMatchObject({
      context: 'GraphQLRequests',
      msg: 'graphql request',
      correlationId: 'cid-1',
      member: 'ccss',
      operation: 'query person',
      code: 'OK',
      durationMs: expect.any(Number),
    });
  });

  it('logs the first error code, and every code when there are several', async () => {
    const [line] = await logged(
      '{ person(matricule: "x") { surname } }',
      [
        { extensions: { code: 'SOURCE_UNAVAILABLE' } },
        { extensions: { code: 'SOURCE_UNAVAILABLE' } },
        { extensions: { code: 'SCOPE_NOT_GRANTED' } },
      ],
      {},
    );
    expect(line).toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
      codes: ['SOURCE_UNAVAILABLE', 'SCOPE_NOT_GRANTED'],
    });
    expect(line).not.toHaveProperty('member');
  });

  it('names an unparsed document without repeating it, and never a citizen', async () => {
    const [line] = await logged(undefined, [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }], {
      citizen: { matricule: '1234567890123' } as unknown as GatewayContext['citizen'],
    });
    expect(line).toMatchObject({ operation: 'unparsed', code: 'GRAPHQL_PARSE_FAILED', citizen: true });
    expect(JSON.stringify(line)).not.toContain('1234567890123');
  });
});
