import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readManifests } from '../../src/readers/read-manifests.js';

/** A synthesized app behind a PgBouncer tier (Service clientats-pgbouncer, port 6432). */
const TIER = {
  path: 'pgbouncer.k8s.yaml',
  text: readFileSync('test/fixtures/budget/undercount/pgbouncer.k8s.yaml', 'utf8'),
};

function reports(url: string): { path: string; text: string } {
  return {
    path: 'pooled.yaml',
    text: stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reports' },
      spec: {
        replicas: 30,
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                env: [
                  { name: 'DATABASE_URL', value: url },
                  { name: 'DATABASE_POOLER', value: 'pgbouncer' },
                  { name: 'POOL_SIZE', value: '10' },
                ],
              },
            ],
          },
        },
      },
    }),
  };
}

const poolers = (inputs: ReturnType<typeof readManifests>): unknown[] =>
  inputs.files.flatMap((entry) =>
    entry.consumers.map((consumer) => [consumer.name, (consumer as { pooler?: string }).pooler]),
  );

const SECRET_NOTE =
  'pgbouncer.k8s.yaml#1: Deployment "clientats" container "app" takes DATABASE_URL from outside the ' +
  'input: counted behind PgBouncer as DATABASE_POOLER=pgbouncer says (assumed: ' +
  'the URL names the bouncers, not the database)';

describe('apps with DATABASE_POOLER=pgbouncer', () => {
  it('counts an app directly when its literal DATABASE_URL names the database, not the bouncers', () => {
    const inputs = readManifests([reports('postgres://app@postgres.db.svc:5432/clientats'), TIER]);
    expect(poolers(inputs)).toEqual([
      ['reports', undefined],
      ['clientats', 'pgbouncer'],
    ]);
    expect(inputs.notes).toEqual([
      'pooled.yaml: Deployment "reports" container "app" has DATABASE_POOLER=pgbouncer but its ' +
        'DATABASE_URL names postgres.db.svc:5432, not PgBouncer clientats-pgbouncer ' +
        '(clientats-pgbouncer:6432): counted directly against the database',
      SECRET_NOTE,
    ]);
  });

  it("counts an app behind the bouncers when its DATABASE_URL names the tier's Service and port", () => {
    for (const host of ['clientats-pgbouncer:6432', 'clientats-pgbouncer.prod.svc.cluster.local:6432']) {
      const inputs = readManifests([reports(`postgres://app@${host}/clientats`), TIER]);
      expect(poolers(inputs)).toEqual([
        ['reports', 'pgbouncer'],
        ['clientats', 'pgbouncer'],
      ]);
      expect(inputs.notes).toEqual([SECRET_NOTE]);
    }
    // The right host on the database's port is not the bouncer.
    const wrongPort = readManifests([reports('postgres://app@clientats-pgbouncer/clientats'), TIER]);
    expect(poolers(wrongPort)[0]).toEqual(['reports', undefined]);
  });
});

describe('Compose apps with DATABASE_POOLER=pgbouncer', () => {
  const ini = [
    '[databases]',
    'clientats = host=db port=5432 dbname=clientats',
    '[pgbouncer]',
    'listen_port = 6432',
    'pool_mode = transaction',
    'default_pool_size = 10',
    'max_db_connections = 10',
    'max_client_conn = 200',
  ].join('\n');
  const project = (url: string): { path: string; text: string } => ({
    path: 'docker-compose.yml',
    text: stringify({
      services: {
        app: {
          image: 'clientats-api:0.1.0',
          deploy: { replicas: 4 },
          environment: { DATABASE_URL: url, DATABASE_POOLER: 'pgbouncer', POOL_SIZE: '10' },
        },
        pgbouncer: {
          image: 'edoburu/pgbouncer',
          configs: [{ source: 'pgbouncer-ini', target: '/etc/pgbouncer/pgbouncer.ini' }],
        },
      },
      configs: { 'pgbouncer-ini': { content: ini } },
    }),
  });

  it("counts an app directly when its URL names the database service, behind when it names the bouncer's", () => {
    const direct = readManifests([project('postgres://app@db:5432/clientats')]);
    expect(poolers(direct)).toEqual([['app', undefined]]);
    const bouncer =
      'docker-compose.yml: service "pgbouncer" sets no POOL_* or DATABASE_URL: not a database client';
    expect(direct.notes).toEqual([
      bouncer,
      'docker-compose.yml: service "app" has DATABASE_POOLER=pgbouncer but its DATABASE_URL names ' +
        'db:5432, not PgBouncer pgbouncer (pgbouncer:6432): counted directly against the database',
    ]);
    const behind = readManifests([project('postgres://app@pgbouncer:6432/clientats')]);
    expect(poolers(behind)).toEqual([['app', 'pgbouncer']]);
    expect(behind.notes).toEqual([bouncer]);
  });
});
