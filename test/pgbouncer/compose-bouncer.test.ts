import { App, Chart, Testing, YamlOutputType } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { ComposeProject } from '../../src/compose/compose-project.js';
import { PgBouncer } from '../../src/pgbouncer/pgbouncer.js';
import { renderApp } from '../../src/synth/render-app.js';
import { budgetOfRendered } from '../../src/synth/synth-budget.js';
import { composeSchemaErrors } from '../support/compose-schema.js';

const settings = new PgBouncer(new Chart(Testing.app(), 'bouncer'), 'pgbouncer', {
  server: { host: 'db', database: 'clientats_dev' },
  defaultPoolSize: 10,
  reservePoolSize: 2,
}).settings;

function bounced(): App {
  const app = new App({ outdir: 'unused', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new ComposeProject(app, 'bounced', {
    database: { name: 'clientats-bounced-dev-db', maxConnections: 30 },
    base: 'development',
    databaseService: 'db',
    replicas: 4,
    environment: {
      DATABASE_URL: 'postgres://app:app@pgbouncer:6432/clientats_dev',
      POOL_SIZE: 10,
      MAX_OVERFLOW: 2,
    },
    pgbouncer: { settings, userlistEnvironment: 'CLIENTATS_PGBOUNCER_USERLIST' },
  });
  return app;
}

describe('ComposeProject with a PgBouncer', () => {
  it('adds the pgbouncer service; the app waits for it healthy and says DATABASE_POOLER=pgbouncer', () => {
    const file = renderApp(bounced()).files.find(
      (candidate) => candidate.path === 'docker-compose.bounced.yml',
    )!;
    const document = parse(file.content) as { services: Record<string, Record<string, unknown>> };
    expect(composeSchemaErrors(document)).toEqual([]);
    expect(document.services.app!.depends_on).toEqual({
      db: { condition: 'service_healthy' },
      pgbouncer: { condition: 'service_healthy' },
    });
    expect(document.services.app!.environment).toMatchObject({ DATABASE_POOLER: 'pgbouncer' });
    expect(document.services.pgbouncer!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
  });

  it(
    'budgets both tiers: 4 apps × 13 = 52 client connections fit a 30-connection server through 12 ' +
      'server connections',
    () => {
      const { report, problems } = budgetOfRendered(renderApp(bounced()));
      expect(problems).toEqual([]);
      const database = report.databases[0] as TieredDatabaseBudget;
      expect(database.totals.rollout).toBe(12);
      expect(database.pgbouncer![0]!.budget.server).toEqual({
        bouncerInstances: 1,
        bouncerConnections: 12,
        direct: 0,
        total: 12,
        usable: 27,
        fits: true,
      });
      expect(database.pgbouncer![0]!.budget.client).toMatchObject({ demand: 52, capacity: 100, fits: true });
    },
  );
});
