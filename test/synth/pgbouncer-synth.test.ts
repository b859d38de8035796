import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { PostgresBackedService } from '../../src/kubernetes/postgres-backed-service.js';
import { bouncedEnvironment } from '../../src/pgbouncer/bounced-environment.js';
import { PgBouncer, type PgBouncerProps } from '../../src/pgbouncer/pgbouncer.js';
import { renderApp } from '../../src/synth/render-app.js';
import { budgetOfRendered } from '../../src/synth/synth-budget.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { runCheck } from '../support/run-check.js';

const DATABASE = { name: 'clientats-bounced-db', maxConnections: 100 };
const outdirs: string[] = [];

function newApp(outdir = 'unused'): App {
  return new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

function bouncedDatabase(databases: readonly unknown[]): TieredDatabaseBudget {
  return databases.find(
    (database) => (database as TieredDatabaseBudget).database === DATABASE.name,
  ) as TieredDatabaseBudget;
}

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

describe('the kubernetes-pgbouncer environment', () => {
  it('fits a 100-connection server through PgBouncer, with both tiers exact', () => {
    const app = newApp();
    bouncedEnvironment(new Chart(app, 'kubernetes-pgbouncer'), { database: DATABASE });
    const { report, problems } = budgetOfRendered(renderApp(app));
    expect(problems).toEqual([]);
    const database = bouncedDatabase(report.databases);
    expect(database.fits).toBe(true);
    expect(database.usable).toBe(97);
    expect(database.totals.rollout).toBe(75);
    expect(database.consumers.map((consumer) => [consumer.name, consumer.connections.rollout])).toEqual([
      ['pgbouncer clientats-pgbouncer', 75],
    ]);
    const tier = database.pgbouncer![0]!;
    expect(tier.name).toBe('clientats-pgbouncer');
    expect(
      tier.behind.map((consumer) => [
        consumer.name,
        consumer.instances.rollout,
        consumer.perInstance,
        consumer.connections.rollout,
      ]),
    ).toEqual([['clientats', 50, 11, 550]]);
    expect(tier.budget.perBouncer).toBe(25);
    expect(tier.budget.server).toEqual({
      bouncerInstances: 3,
      bouncerConnections: 75,
      direct: 0,
      total: 75,
      usable: 97,
      fits: true,
    });
    expect(tier.budget.client).toMatchObject({
      demand: 550,
      maxClientConn: 550,
      servingBouncers: 2,
      downDuringRollout: 1,
      capacity: 1100,
      strictCapacity: 550,
      fits: true,
      fitsStrict: true,
    });
  });

  it("ties the bouncer's query_wait_timeout to the app's POOL_TIMEOUT (8000 ms → 8 s)", () => {
    const { service, bouncer } = bouncedEnvironment(new Chart(newApp(), 'kubernetes-pgbouncer'), {
      database: DATABASE,
    });
    expect(service.environment.POOL_TIMEOUT).toBe('8000');
    expect(bouncer.settings.queryWaitTimeoutSeconds).toBe(8);
    expect(bouncer.ini).toContain('\nquery_wait_timeout = 8\n');
  });

  it("tells the operator every Secret, and that the app's DATABASE_URL names the bouncer, not PostgreSQL", () => {
    const { service, bouncer } = bouncedEnvironment(new Chart(newApp(), 'kubernetes-pgbouncer'), {
      database: DATABASE,
    });
    expect([...service.headerComment(), ...bouncer.headerComment()]).toEqual([
      'kubernetes-pgbouncer: Deployment clientats runs clientats-api:0.1.0.',
      'REQUIRED before `kubectl apply`: these Secrets; without them no pod starts (CreateContainerConfigError).',
      '  kubectl create secret generic clientats-database -n <namespace> ' +
        '--from-literal=DATABASE_URL="postgres://app:<app password>@clientats-pgbouncer:6432/clientats"',
      '  kubectl create secret generic clientats-health -n <namespace> ' +
        '--from-literal=HEALTH_CHECK_TOKEN="$(openssl rand -hex 32)"',
      'note: [kubernetes-pgbouncer] connects to its database without TLS: it connects to its PgBouncer inside ' +
        'the cluster, which takes plain TCP and encrypts to the server (verify-full)',
      'clientats-pgbouncer: REQUIRED Secrets of the bouncers; userlist.txt holds one line per user: ' +
        '"app" "<app password or SCRAM secret>", and "pgbouncer_exporter" "<exporter password>" for its exporter ' +
        '(stats_users).',
      '  kubectl create secret generic clientats-pgbouncer-auth -n <namespace> ' +
        '--from-file=userlist.txt=./userlist.txt --from-literal=exporter-password="<exporter password>"',
      '  kubectl create secret generic clientats-bounced-db-ca -n <namespace> ' +
        "--from-file=ca.crt=./<the server's CA certificate>",
    ]);
  });

  it('fails when the same fleet connects directly: 550 > 97 usable', () => {
    const app = newApp();
    new PostgresBackedService(new Chart(app, 'direct'), 'clientats', {
      database: DATABASE,
      preset: 'kubernetes',
      environment: { POOL_SIZE: 8, POOL_COUNT: 1, MAX_OVERFLOW: 2 },
      autoscaling: { minReplicas: 10, maxReplicas: 40 },
    });
    const { problems } = budgetOfRendered(renderApp(app));
    expect(problems).toEqual([
      '[direct] worst case 550 > 97 usable (max_connections 100 − 3 reserved): ' +
        '50 pods (40 HPA max + 10 surge) × (1 pool × (8 + 2) + 1 probe)',
    ]);
  });

  /** The guide's app (HPA 10–40) behind a bouncer sized by hand: what synth's one budget counts. */
  function behindHandSizedBouncer(bouncer: Partial<PgBouncerProps>): readonly string[] {
    const app = newApp();
    const chart = new Chart(app, 'hand-sized');
    new PostgresBackedService(chart, 'clientats', {
      database: DATABASE,
      preset: 'kubernetes',
      environment: { POOL_SIZE: 8, POOL_COUNT: 1, MAX_OVERFLOW: 2, DATABASE_POOLER: 'pgbouncer' },
      insecureDatabase: { reason: 'plain TCP to its PgBouncer inside the cluster' },
      autoscaling: { minReplicas: 10, maxReplicas: 40 },
    });
    new PgBouncer(chart, 'pgbouncer', { server: { host: 'db', database: 'clientats' }, ...bouncer });
    return budgetOfRendered(renderApp(app)).problems;
  }

  it('fails when the bouncers open more server connections than usable: 3 pods × 40 = 120 > 97', () => {
    expect(behindHandSizedBouncer({ defaultPoolSize: 40, maxClientConn: 1000 })).toEqual([
      '[hand-sized] worst case 120 > 97 usable (max_connections 100 − 3 reserved) on database clientats-bounced-db: ' +
        'pgbouncer pgbouncer 120 (PgBouncer: 3 pods with surge × 40 server connections) = 120',
    ]);
  });

  it('fails when the apps behind open more client connections than the bouncers take: 550 > 2 × 250', () => {
    expect(behindHandSizedBouncer({ defaultPoolSize: 20, maxClientConn: 250 })).toEqual([
      '[hand-sized] PgBouncer pgbouncer client side over budget: the apps behind it open 550 connections > ' +
        '2 bouncers × max_client_conn 250 = 500',
    ]);
  });

  it('fails when the app says DATABASE_POOLER=pgbouncer but no bouncer is rendered', () => {
    const app = newApp();
    new PostgresBackedService(new Chart(app, 'lonely'), 'clientats', {
      database: DATABASE,
      preset: 'kubernetes',
      environment: { POOL_SIZE: 8, MAX_OVERFLOW: 2, DATABASE_POOLER: 'pgbouncer' },
      replicas: 10,
    });
    expect(budgetOfRendered(renderApp(app)).problems).toEqual([
      '[lonely] connection budget of database "clientats-bounced-db": clientats connect through PgBouncer ' +
        '(DATABASE_POOLER=pgbouncer) but no PgBouncer tier of database "clientats-bounced-db" is in the input: ' +
        'pass its ConfigMap and Deployment, or its pgbouncer.ini with --pgbouncer-replicas N',
    ]);
  });

  it('check of the synthesized dist agrees with synth, tier by tier', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'clientats-bounced-'));
    outdirs.push(outdir);
    const app = newApp(outdir);
    bouncedEnvironment(new Chart(app, 'kubernetes-pgbouncer'), { database: DATABASE });
    const { report } = synthesize(app);
    const outcome = await runCheck('check', outdir, '--json');
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const checked = bouncedDatabase((JSON.parse(outcome.stdout) as { databases: unknown[] }).databases);
    const synthesized = bouncedDatabase(report.databases);
    expect(checked.totals).toEqual(synthesized.totals);
    expect(checked.pgbouncer!.map((tier) => tier.budget)).toEqual(
      synthesized.pgbouncer!.map((tier) => tier.budget),
    );
    expect(checked.pgbouncer![0]!.behind.map((consumer) => consumer.connections)).toEqual(
      synthesized.pgbouncer![0]!.behind.map((consumer) => consumer.connections),
    );
  });
});
