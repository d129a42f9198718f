import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import { errorBody } from '../http/http-hooks';

export const DASHBOARD_PATH = '/ops/queues';
const COOKIE = 'broker_ops';

/** The operator's token: `Authorization: Bearer`, or the `broker_ops` cookie (for a browser behind an SSO proxy). */
function operatorAuthorization(req: FastifyRequest): string | undefined {
  if (typeof req.headers.authorization === 'string') return req.headers.authorization;
  const cookie = req.headers.cookie ?? '';
  const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(cookie);
  return m ? `Bearer ${decodeURIComponent(m[1])}` : undefined;
}

/**
 * The queue dashboard (bull-board) at /ops/queues, for operators only: a staff token (trust
 * file `staffIssuers`) with the `operator` role. Jobs there carry job ids and chunk numbers,
 * never personal data (the items stay in PostgreSQL). Read and retry/clean actions are
 * bull-board's own; the broker's truth stays in PostgreSQL whatever is done here.
 */
export async function installQueueDashboard(
  app: FastifyInstance,
  queues: Queue[],
  authenticateOperator: (authorization: string | undefined) => Promise<unknown>,
): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Once-only broker queues' } },
  });
  await app.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          await authenticateOperator(operatorAuthorization(req));
        } catch (e) {
          const err = e instanceof BrokerError ? e : new BrokerError(ErrorCode.UNAUTHENTICATED);
          return reply
            .status(err.code === ErrorCode.FORBIDDEN ? 403 : 401)
            .header('www-authenticate', 'Bearer')
            .send(errorBody(err.code, err.message));
        }
      });
      await scope.register(serverAdapter.registerPlugin() as never);
    },
    { prefix: DASHBOARD_PATH },
  );
}
