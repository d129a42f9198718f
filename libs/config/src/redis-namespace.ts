/**
 * Redis key prefix: one namespace per broker and database, so that deployments (and test runs)
 * sharing a Redis never mix their queues or their quota counters.
 */
export function redisNamespace(brokerId: string, databaseUrl: string): string {
  const db = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'postgres';
  return `broker:${brokerId}:${db}`;
}
