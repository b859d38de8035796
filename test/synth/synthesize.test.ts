import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import { ComposeProject } from '../../src/compose/compose-project.js';
import { HerokuApp } from '../../src/heroku/heroku-app.js';
import { PostgresBackedService } from '../../src/kubernetes/postgres-backed-service.js';
import { InputError } from '../../src/readers/manifest-input.js';
import { runCli } from '../../src/cli/run-cli.js';
import { SynthError, assertDisposableOutdir, synthesize } from '../../src/synth/synthesize.js';
import { thrownBy } from '../support/thrown-by.js';

const DATABASE: DatabaseDeclaration = { name: 'db', maxConnections: 100 };
const scratch = mkdtempSync(join(tmpdir(), 'clientats-synthesize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;
function appIn(): App {
  runs += 1;
  return new App({ outdir: join(scratch, `out-${runs}`), yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

function declare(app: App, small: Record<string, string | number> = {}): void {
  new PostgresBackedService(new Chart(app, 'small'), 'clientats', {
    database: DATABASE,
    preset: 'small',
    environment: small,
    replicas: 1,
  });
  new ComposeProject(app, 'dev', {
    database: DATABASE,
    base: 'development',
    environment: { DATABASE_URL: 'postgres://postgres:postgres@db/clientats_dev' },
  });
  new HerokuApp(app, 'clientats-prod', { database: DATABASE, environment: { DATABASE_SSL: 'require' } });
}

describe('synthesize', () => {
  it('writes one manifest per chart and the files of every emitter', () => {
    const app = appIn();
    declare(app);
    expect(synthesize(app).files).toEqual([
      'connection-budget.json',
      'connection-budget.md',
      'connection-budget.svg',
      'docker-compose.dev.yml',
      'grafana/clientats-prod.json',
      'grafana/small.json',
      'heroku/clientats-prod/Procfile',
      'heroku/clientats-prod/app.json',
      'heroku/clientats-prod/config.sh',
      'prometheus/clientats-prod.rules.yml',
      'prometheus/clientats-prod.scrape.yml',
      'small.k8s.yaml',
    ]);
    expect(readFileSync(join(app.outdir, 'small.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
    expect(statSync(join(app.outdir, 'heroku/clientats-prod/config.sh')).mode & 0o777).toBe(0o755);
  });

  it('removes files an earlier synth left in the output directory', () => {
    const app = appIn();
    mkdirSync(join(app.outdir, 'heroku/old-app'), { recursive: true });
    writeFileSync(join(app.outdir, 'heroku/old-app/app.json'), '{}');
    writeFileSync(join(app.outdir, 'removed.k8s.yaml'), '');
    declare(app);
    expect(synthesize(app).files).not.toContain('removed.k8s.yaml');
    expect(existsSync(join(app.outdir, 'heroku/old-app'))).toBe(false);
  });

  it('fails with every problem of every environment, one line each, and writes nothing', () => {
    const app = appIn();
    mkdirSync(app.outdir, { recursive: true });
    writeFileSync(join(app.outdir, 'kept.k8s.yaml'), '');
    declare(app, { POOL_SIZE: 0, DATABASE_SSL: 'maybe' });
    new HerokuApp(app, 'clientats-staging', {
      database: DATABASE,
      environment: { POOL_TIMEOUT: 0, DATABASE_SSL: 'require' },
    });
    let error: unknown;
    try {
      synthesize(app);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).message).toBe(
      [
        '[small] POOL_SIZE must be an integer from 1 to 10000, got "0"',
        '[small] DATABASE_SSL must be one of true, false, 1, 0, disable, require, verify-ca, verify-full, got "maybe"',
        '[clientats-staging] POOL_TIMEOUT must be an integer from 1 to 2147483647, got "0"',
      ].join('\n'),
    );
    expect(existsSync(join(app.outdir, 'kept.k8s.yaml'))).toBe(true);
  });
});

/** A chart whose rendering throws `error`, as a construct with a bug or a refused value would. */
class ThrowingChart extends Chart {
  constructor(
    app: App,
    id: string,
    private readonly error: unknown,
  ) {
    super(app, id);
    new ApiObject(this, 'config', { apiVersion: 'v1', kind: 'ConfigMap' });
  }
  override toJson(): never {
    throw this.error;
  }
}

describe('synthesize and errors', () => {
  it('fails with a construct validation that throws a TypeError, surfacing that TypeError', () => {
    const app = appIn();
    const bug = new TypeError("Cannot read properties of undefined (reading 'size')");
    new Chart(app, 'buggy').node.addValidation({
      validate: () => {
        throw bug;
      },
    });
    expect(thrownBy(() => synthesize(app))).toBe(bug);
    expect(existsSync(app.outdir)).toBe(false);
  });

  it('fails with a TypeError thrown while rendering, surfacing that TypeError with its stack', () => {
    const app = appIn();
    const bug = new TypeError('chart.toJson is not a function');
    new ThrowingChart(app, 'buggy', bug);
    expect(thrownBy(() => synthesize(app))).toBe(bug);
  });

  it('fails with an input error thrown while rendering as a one-line problem, keeping it as cause', () => {
    const app = appIn();
    const refused = new InputError(
      'pgbouncer.ini [pgbouncer] pool_mode must be session or transaction, got "x"',
    );
    new ThrowingChart(app, 'refused', refused);
    const error = thrownBy(() => synthesize(app));
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).problems).toEqual([
      'pgbouncer.ini [pgbouncer] pool_mode must be session or transaction, got "x"',
    ]);
    expect((error as SynthError).cause).toBe(refused);
  });

  it('fails with a plain Error thrown while rendering (how cdk8s refuses a value) as a problem with cause', () => {
    const app = appIn();
    const refused = new Error('Validation failed with the following errors:\n  [refused] bad port');
    new ThrowingChart(app, 'refused', refused);
    const error = thrownBy(() => synthesize(app));
    expect(error).toBeInstanceOf(SynthError);
    expect((error as SynthError).message).toBe(
      'Validation failed with the following errors:\n  [refused] bad port',
    );
    expect((error as SynthError).cause).toBe(refused);
  });
});

describe('synthesize and check agree', () => {
  it('counts a preboot Heroku app the same from app.json alone as the synth report does', async () => {
    const app = appIn();
    new HerokuApp(app, 'clientats-prod', {
      database: { name: 'heroku-db', maxConnections: 120 },
      environment: { POOL_SIZE: 12, MAX_OVERFLOW: 4, DATABASE_SSL: 'require' },
      dynos: 2,
      preboot: true,
    });
    const { report } = synthesize(app);
    let stdout = '';
    const code = await runCli(
      ['check', join(app.outdir, 'heroku/clientats-prod/app.json'), '--max-connections', '120', '--json'],
      {
        stdout: {
          write: (text: string) => {
            stdout += text;
          },
        },
        stderr: { write: () => undefined },
      },
    );
    const checked = JSON.parse(stdout) as { databases: { totals: unknown }[] };
    expect(code).toBe(0);
    expect(report.databases[0].totals).toEqual({ steady: 34, rollout: 68, strict: 68 });
    expect(checked.databases[0].totals).toEqual(report.databases[0].totals);
  });

  it('fails with the budget violation and writes nothing when a database is over budget', () => {
    const app = appIn();
    new PostgresBackedService(new Chart(app, 'big'), 'clientats', {
      database: DATABASE,
      preset: 'large',
      replicas: 3,
    });
    expect(() => synthesize(app)).toThrow(
      new SynthError([
        '[big] worst case 244 > 97 usable (max_connections 100 − 3 reserved): ' +
          '4 pods (3 replicas + 1 surge) × (2 pools × (20 + 10) + 1 probe)',
      ]),
    );
    expect(existsSync(app.outdir)).toBe(false);
  });
});

describe('assertDisposableOutdir', () => {
  it('accepts a directory below the working directory', () => {
    expect(() => assertDisposableOutdir('dist', '/work/project')).not.toThrow();
  });

  it('fails when the output directory is the working directory', () => {
    expect(() => assertDisposableOutdir('.', '/work/project')).toThrow(SynthError);
    expect(() => assertDisposableOutdir('.', '/work/project')).toThrow(
      'the output directory must not contain the working directory (it is emptied at every synth), got "."',
    );
  });

  it('fails when the output directory contains the working directory', () => {
    expect(() => assertDisposableOutdir('..', '/work/project')).toThrow(
      'the output directory must not contain the working directory (it is emptied at every synth), got ".."',
    );
  });
});
