import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import { errorBody } from '../http/http-hooks';
import { isUnsafeMethod, originProblem, ownOrigin } from '../http/same-origin';

/** The read-only dashboard, for the `operator` role. */
export const DASHBOARD_PATH = '/ops/queues';
/** The same dashboard with its actions (retry, clean, pause...), for the `queue-admin` role. */
export const ADMIN_DASHBOARD_PATH = '/ops/queues-admin';
const COOKIE = 'broker_ops';

/** The staff roles that open the dashboards. */
export type DashboardRole = 'operator' | 'queue-admin';

/** The operator's token: `Authorization: Bearer`, or the `broker_ops` cookie (for a browser behind an SSO proxy). */
function operatorAuthorization(req: FastifyRequest): string | undefined {
  if (typeof req.headers.authorization === 'string') return req.headers.authorization;
  const cookie = req.headers.cookie ?? '';
  const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(cookie);
  return m ? `Bearer ${decodeURIComponent(m[1])}` : undefined;
}

/**
 * Why a request that changes something is refused on a dashboard, or null. The read-only board
 * takes none. On the admin board a change needs the Authorization header: the cookie alone
 * never authorizes one (so no other site can make a browser retry or clean jobs), and an Origin,
 * when the browser sends one, must be the gateway's own.
 */
export function dashboardChangeProblem(
  writable: boolean,
  req: Pick<FastifyRequest, 'headers' | 'protocol'>,
  publicOrigin: string | undefined,
): string | null {
  if (!writable)
    return `the dashboard at ${DASHBOARD_PATH} is read-only (actions: ${ADMIN_DASHBOARD_PATH}, role queue-admin)`;
  if (typeof req.headers.authorization !== 'string')
    return 'actions need the Authorization header; the cookie only lets you read';
  if (req.headers.origin === undefined) return null;
  const problem = originProblem(req.headers.origin, ownOrigin(publicOrigin, req.protocol, req.headers.host));
  return problem ? `${problem}: actions come from this gateway's dashboard only` : null;
}

/**
 * The queue dashboards (bull-board), for staff tokens (trust file `staffIssuers`) only: at
 * /ops/queues read-only for the `operator` role (bull-board's readOnlyMode, and every change
 * refused here too); at /ops/queues-admin with bull-board's actions for the `queue-admin` role.
 * Jobs there carry job ids and chunk numbers, never personal data (the items stay in PostgreSQL),
 * and the broker's truth stays in PostgreSQL whatever is done here. See docs/async.md.
 */
export async function installQueueDashboard(
  app: FastifyInstance,
  queues: Queue[],
  authenticate: (authorization: string | undefined, role: DashboardRole) => Promise<unknown>,
  publicOrigin: string | undefined,
): Promise<void> {
  for (const [path, role, writable] of [
    [DASHBOARD_PATH, 'operator', false],
    [ADMIN_DASHBOARD_PATH, 'queue-admin', true],
  ] as const) {
    const serverAdapter = new BullBoardFastifyAdapter();
    serverAdapter.setBasePath(path);
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: !writable })),
      serverAdapter,
      options: {
        uiConfig: { boardTitle: writable ? 'Once-only broker queues (actions)' : 'Once-only broker queues' },
      },
    });
    await app.register(
      async (scope: FastifyInstance) => {
        scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
          try {
            await authenticate(operatorAuthorization(req), role);
          } catch (e) {
            const err = e instanceof BrokerError ? e : new BrokerError(ErrorCode.UNAUTHENTICATED);
            return reply
              .status(err.code === ErrorCode.FORBIDDEN ? 403 : 401)
              .header('www-authenticate', 'Bearer')
              .send(errorBody(err.code, err.message));
          }
          const problem = isUnsafeMethod(req.method)
            ? dashboardChangeProblem(writable, req, publicOrigin)
            : null;
          if (problem) return reply.status(403).send(errorBody(ErrorCode.FORBIDDEN, `Refused: ${problem}.`));
        });
        await scope.register(serverAdapter.registerPlugin() as never);
      },
      { prefix: path },
    );
  }
}
