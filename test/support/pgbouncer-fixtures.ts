/**
 * Inputs shared by the generator's PgBouncer tests: a hand-written
 * pgbouncer.ini (one user's pool of 20 + 5, capped at 25 per database) and
 * an app Deployment of the guide's shape (POOL_SIZE 8, MAX_OVERFLOW 2: 11
 * connections per pod) that says whether it connects through the bouncer.
 */

/** A hand-written `pgbouncer.ini`: transaction pooling, 25 server connections per bouncer, 400 clients. */
export const HAND_WRITTEN_INI = [
  '[databases]',
  'clientats = host=db.internal port=5432 dbname=clientats',
  '',
  '[pgbouncer]',
  'pool_mode = transaction',
  'default_pool_size = 20',
  'reserve_pool_size = 5',
  'max_db_connections = 25',
  'max_client_conn = 400',
  '',
].join('\n');

/** An app Deployment of `replicas` pods, 11 connections each; `DATABASE_POOLER=pgbouncer` unless `pooler` is false. */
export function appDeployment(name: string, replicas: number, pooler = true): unknown {
  const env = [
    { name: 'POOL_SIZE', value: '8' },
    { name: 'MAX_OVERFLOW', value: '2' },
    ...(pooler ? [{ name: 'DATABASE_POOLER', value: 'pgbouncer' }] : []),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, template: { spec: { containers: [{ name: 'app', image: 'clientats:1', env }] } } },
  };
}
