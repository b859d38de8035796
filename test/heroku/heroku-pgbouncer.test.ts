import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdk8s';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import type { TieredDatabaseBudget } from '../../src/budget/pgbouncer-tier-budget.js';
import { HerokuApp, type HerokuAppProps } from '../../src/heroku/heroku-app.js';
import { synthesize, validationProblems } from '../../src/synth/synthesize.js';
import { runCheck } from '../support/run-check.js';
import appJsonSchema from './app-json.schema.json' with { type: 'json' };

const validateAppJson = new Ajv({ allErrors: true, strict: true }).compile(appJsonSchema);

/** Standard-0 (120 connections, 117 usable) with 10 preboot dynos of 1 × (10 + 5) + 1 = 16 connections. */
const BOUNCED: HerokuAppProps = {
  database: { name: 'heroku-db', maxConnections: 120 },
  environment: { POOL_SIZE: 10, POOL_COUNT: 1, MAX_OVERFLOW: 5, POOL_TIMEOUT: 8000 },
  dynos: 10,
  preboot: true,
  pgbouncer: { defaultPoolSize: 4, reservePoolSize: 1, maxClientConn: 100 },
};

function build(props: HerokuAppProps = BOUNCED) {
  const app = Testing.app();
  const heroku = new HerokuApp(app, 'clientats-bounced', props);
  const files = Object.fromEntries(heroku.generatedFiles().map((file) => [file.path, file.content]));
  return { app, heroku, files };
}

function appJsonOf(props: HerokuAppProps = BOUNCED): Record<string, unknown> {
  return JSON.parse(build(props).files['heroku/clientats-bounced/app.json']!) as Record<string, unknown>;
}

describe('HerokuApp behind the PgBouncer buildpack', () => {
  it('lists heroku/pgbouncer before heroku/nodejs, as the buildpack README adds them', () => {
    expect(appJsonOf().buildpacks).toEqual([{ url: 'heroku/pgbouncer' }, { url: 'heroku/nodejs' }]);
  });

  it('writes the buildpack config vars and the transaction-mode runtime settings into env', () => {
    expect(appJsonOf().env).toEqual({
      POOL_SIZE: '10',
      POOL_COUNT: '1',
      MAX_OVERFLOW: '5',
      POOL_TIMEOUT: '8000',
      DATABASE_SSL: 'false',
      DATABASE_POOLER: 'pgbouncer',
      PGBOUNCER_URLS: 'DATABASE_URL',
      PGBOUNCER_POOL_MODE: 'transaction',
      PGBOUNCER_DEFAULT_POOL_SIZE: '4',
      PGBOUNCER_RESERVE_POOL_SIZE: '1',
      PGBOUNCER_MAX_CLIENT_CONN: '100',
      HEALTH_CHECK_TOKEN: {
        description: 'Bearer token for /health/diagnostics',
        generator: 'secret',
        required: true,
      },
    });
  });

  it('writes an app.json the repository schema accepts', () => {
    const appJson = appJsonOf();
    expect(validateAppJson(appJson), JSON.stringify(validateAppJson.errors)).toBe(true);
  });

  it('starts the web process through bin/start-pgbouncer', () => {
    expect(build().files['heroku/clientats-bounced/Procfile']).toBe(
      'web: bin/start-pgbouncer node runtime/build/main.js runtime/example/build/server.js\n',
    );
  });

  it('sets the buildpacks in order and the config vars in config.sh', () => {
    const script = build().files['heroku/clientats-bounced/config.sh']!;
    expect(script).toContain(
      'heroku buildpacks:clear -a clientats-bounced\n' +
        'heroku buildpacks:add heroku/pgbouncer -a clientats-bounced\n' +
        'heroku buildpacks:add heroku/nodejs -a clientats-bounced\n',
    );
    expect(script).toContain('  DATABASE_POOLER=pgbouncer \\\n');
    expect(script).toContain('  PGBOUNCER_DEFAULT_POOL_SIZE=4 \\\n');
    expect(script).toContain('  PGBOUNCER_MAX_CLIENT_CONN=100 \\\n');
    expect(script).toContain(
      '# DATABASE_SSL=false: the runtime connects to the PgBouncer inside its own dyno',
    );
    expect(script).not.toContain('DATABASE_SSL=require');
  });

  it('derives default_pool_size from the plan when none is given: 117 usable / 20 dynos − 1 reserve = 4', () => {
    const { heroku } = build({ ...BOUNCED, pgbouncer: {} });
    expect(heroku.pgbouncerConfig).toEqual({
      PGBOUNCER_URLS: 'DATABASE_URL',
      PGBOUNCER_POOL_MODE: 'transaction',
      PGBOUNCER_DEFAULT_POOL_SIZE: '4',
      PGBOUNCER_RESERVE_POOL_SIZE: '1',
      PGBOUNCER_MAX_CLIENT_CONN: '100',
    });
  });

  it('derives no pool larger than one dyno opens: 2 dynos on 117 usable get 16, not 28', () => {
    const { heroku } = build({ ...BOUNCED, dynos: 2, pgbouncer: {} });
    expect(heroku.pgbouncerConfig?.PGBOUNCER_DEFAULT_POOL_SIZE).toBe('16');
  });

  it('keeps the direct app unchanged: no buildpack, no PGBOUNCER_* vars, the plain Procfile', () => {
    const direct = build({ ...BOUNCED, pgbouncer: undefined, environment: { DATABASE_SSL: 'require' } });
    const appJson = JSON.parse(direct.files['heroku/clientats-bounced/app.json']!) as { buildpacks: unknown };
    expect(appJson.buildpacks).toEqual([{ url: 'heroku/nodejs' }]);
    expect(direct.files['heroku/clientats-bounced/Procfile']).toBe(
      'web: node runtime/build/main.js runtime/example/build/server.js\n',
    );
    expect(direct.heroku.monitoring).toBe(true);
  });

  it('fails when one dyno opens more connections than its bouncer accepts', () => {
    const { app } = build({ ...BOUNCED, pgbouncer: { maxClientConn: 15 } });
    expect(validationProblems(app)).toEqual([
      '[clientats-bounced] pgbouncer.maxClientConn 15 is below what one dyno opens to its bouncer: ' +
        'POOL_COUNT 1 × (POOL_SIZE 10 + MAX_OVERFLOW 5) + 1 readiness = 16: ' +
        'raise maxClientConn to 16 or shrink the pool',
    ]);
  });

  it('fails when DATABASE_SSL asks the dyno-local bouncer for TLS', () => {
    const { app } = build({ ...BOUNCED, environment: { ...BOUNCED.environment, DATABASE_SSL: 'require' } });
    expect(validationProblems(app)).toEqual([
      "[clientats-bounced] DATABASE_SSL must be false behind the PgBouncer buildpack (the dyno's bouncer listens on " +
        '127.0.0.1:6000 without TLS and encrypts to Heroku Postgres itself), got "require"',
    ]);
  });

  it('fails when DATABASE_POOLER is switched off behind the buildpack', () => {
    const { app } = build({ ...BOUNCED, environment: { ...BOUNCED.environment, DATABASE_POOLER: 'none' } });
    expect(validationProblems(app)).toEqual([
      '[clientats-bounced] DATABASE_POOLER must be pgbouncer behind the PgBouncer buildpack ' +
        '(transaction mode), got "none"',
    ]);
  });

  it('fails when a pool setting is not a count', () => {
    const { app } = build({ ...BOUNCED, pgbouncer: { defaultPoolSize: 0, reservePoolSize: -1 } });
    expect(validationProblems(app)).toEqual([
      '[clientats-bounced] pgbouncer.defaultPoolSize must be an integer >= 1, got 0',
      '[clientats-bounced] pgbouncer.reservePoolSize must be an integer >= 0, got -1',
    ]);
  });
});

describe('synthesize and check agree on a Heroku app behind the PgBouncer buildpack', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'clientats-heroku-pgbouncer-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('counts both tiers the same from app.json alone as the synth report does', async () => {
    const app = new App({ outdir: join(scratch, 'dist') });
    new HerokuApp(app, 'clientats-bounced', {
      ...BOUNCED,
      database: { name: 'heroku-db', maxConnections: 120, superuserReserved: 3 },
    });
    const synthesized = synthesize(app).report.databases[0] as TieredDatabaseBudget;
    const outcome = await runCheck(
      'check',
      join(app.outdir, 'heroku/clientats-bounced/app.json'),
      '--provider',
      'heroku:standard-0',
      '--json',
    );
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    const checked = (JSON.parse(outcome.stdout) as { databases: TieredDatabaseBudget[] }).databases[0]!;
    expect(synthesized.totals).toEqual({ steady: 100, rollout: 100, strict: 100 });
    expect(checked.totals).toEqual(synthesized.totals);
    expect(checked.pgbouncer![0]!.budget).toEqual(synthesized.pgbouncer![0]!.budget);
    expect(checked.pgbouncer![0]!.budget.server).toMatchObject({
      bouncerInstances: 20,
      total: 100,
      usable: 117,
    });
    expect(checked.pgbouncer![0]!.budget.client).toMatchObject({
      demand: 16,
      maxClientConn: 100,
      fits: true,
    });
  });

  it('checks the synthesized dist/ against its own report, per dyno', async () => {
    const app = new App({ outdir: join(scratch, 'dist-report') });
    new HerokuApp(app, 'clientats-bounced', BOUNCED);
    synthesize(app);
    const outcome = await runCheck('check', app.outdir);
    expect(outcome.stderr).toBe('');
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toContain(
      '    server side: 20 dynos, each with its own bouncer, ' +
        '× 5 server connections + 0 direct = 100 ≤ 117 usable: fits\n' +
        "    client side, per dyno: one dyno opens 16 ≤ its bouncer's max_client_conn 100: fits\n",
    );
  });

  it('fails synth when the dynos outgrow the plan even behind their bouncers', () => {
    const app = new App({ outdir: join(scratch, 'dist-over') });
    new HerokuApp(app, 'clientats-bounced', { ...BOUNCED, dynos: 12 });
    // 24 dynos during a deploy × (4 + 1) = 120 > 117 usable.
    expect(() => synthesize(app)).toThrow('120 > 117 usable');
  });
});
