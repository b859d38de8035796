import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_PORT, HEALTH_PATHS } from 'clientats-runtime/contract';
import { ComposeProject, type ComposeProjectProps } from '../../src/compose/compose-project.js';
import { readComposeFile } from '../../src/readers/compose-file.js';
import { readManifests } from '../../src/readers/read-manifests.js';
import { validationProblems } from '../../src/synthesize.js';
import { composeSchemaErrors } from '../support/compose-schema.js';

/** The guide's "Docker Compose (Development)" example. */
const DEVELOPMENT: ComposeProjectProps = {
  database: { name: 'dev-db', maxConnections: 100 },
  base: 'development',
  databaseService: 'db',
  environment: { DATABASE_URL: 'ecto://postgres:postgres@db:5432/clientats_dev', POOL_SIZE: 5, MAX_OVERFLOW: 2, POOL_TIMEOUT: 5000 },
};

/** The guide's "Docker Compose (Staging/Production)" example, the URL from a secret. */
const PRODUCTION: ComposeProjectProps = {
  database: { name: 'prod-db', maxConnections: 100 },
  base: 'production',
  databaseUrlSecret: { name: 'database_url', environment: 'CLIENTATS_DATABASE_URL' },
  environment: { POOL_SIZE: 15, POOL_COUNT: 2, MAX_OVERFLOW: 5, POOL_TIMEOUT: 8000, DATABASE_SSL: true },
};

function build(id: string, props: ComposeProjectProps) {
  const app = Testing.app();
  const project = new ComposeProject(app, id, props);
  const [file] = project.generatedFiles();
  if (file === undefined) throw new Error('no file generated');
  return { app, project, file, document: parse(file.content) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('ComposeProject', () => {
  it('writes the guide development values and a literal dev URL', () => {
    const { file, document } = build('dev', DEVELOPMENT);
    expect(file.path).toBe('docker-compose.dev.yml');
    expect(document.name).toBe('clientats-dev');
    expect(document.services.app.environment).toEqual({
      DATABASE_URL: 'ecto://postgres:postgres@db:5432/clientats_dev',
      POOL_SIZE: '5',
      MAX_OVERFLOW: '2',
      POOL_TIMEOUT: '5000',
    });
  });

  it('starts the app only once the db service is healthy', () => {
    const { document } = build('dev', DEVELOPMENT);
    expect(document.services.app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(document.services.db.image).toMatch(/^postgres:/);
    expect(document.services.db.healthcheck.test).toEqual(['CMD-SHELL', 'pg_isready -U postgres -d clientats_dev']);
  });

  it('gives the db service the declared max_connections', () => {
    const { document } = build('dev', { ...DEVELOPMENT, database: { name: 'dev-db', maxConnections: 42 } });
    expect(document.services.db.command).toEqual(['postgres', '-c', 'max_connections=42']);
  });

  it('checks the app on the liveness path with the guide liveness timing', () => {
    const { document } = build('dev', DEVELOPMENT);
    const healthcheck = document.services.app.healthcheck;
    expect(healthcheck.test[3]).toContain(`'http://127.0.0.1:${DEFAULT_PORT}${HEALTH_PATHS.liveness}'`);
    expect(healthcheck).toMatchObject({ interval: '10s', timeout: '3s', retries: 3, start_period: '30s' });
    expect(document.services.app.ports).toEqual([`${DEFAULT_PORT}:${DEFAULT_PORT}`]);
  });

  it('gives the app a stop grace period covering the shutdown delay and drain plus 5 s', () => {
    expect(build('prod', PRODUCTION).document.services.app.stop_grace_period).toBe('20s');
    const slow = build('prod', { ...PRODUCTION, environment: { ...PRODUCTION.environment, SHUTDOWN_DRAIN_MS: 30_000 } });
    expect(slow.document.services.app.stop_grace_period).toBe('40s');
    expect(slow.project.stopGracePeriodSeconds).toBe(40);
  });

  it('passes the production URL as a Compose secret through DATABASE_URL_FILE', () => {
    const { document } = build('prod', PRODUCTION);
    expect(document.services.app.environment).toEqual({
      NODE_ENV: 'production',
      DATABASE_URL_FILE: '/run/secrets/database_url',
      POOL_SIZE: '15',
      POOL_COUNT: '2',
      MAX_OVERFLOW: '5',
      POOL_TIMEOUT: '8000',
      DATABASE_SSL: 'true',
    });
    expect(document.services.app.secrets).toEqual(['database_url']);
    expect(document.secrets).toEqual({ database_url: { environment: 'CLIENTATS_DATABASE_URL' } });
    expect(Object.keys(document.services)).toEqual(['app']);
  });

  it('sets deploy.replicas when given', () => {
    const { document } = build('prod', { ...PRODUCTION, replicas: 2 });
    expect(document.services.app.deploy).toEqual({ replicas: 2 });
    expect(readComposeFile(document, 'compose.yml').consumers[0]).toMatchObject({ replicas: 2 });
  });

  it('writes files the compose-spec schema accepts', () => {
    expect(composeSchemaErrors(build('dev', DEVELOPMENT).document)).toEqual([]);
    expect(composeSchemaErrors(build('prod', { ...PRODUCTION, replicas: 2 }).document)).toEqual([]);
  });

  it('renders what the budget reads: the app service, its replicas and pool', () => {
    const { project, file } = build('prod', PRODUCTION);
    expect(project.budgetDatabase).toBe(PRODUCTION.database);
    expect(readManifests([{ path: file.path, text: file.content }]).files[0].consumers).toEqual([{
      kind: 'compose',
      name: 'app',
      source: 'docker-compose.prod.yml',
      replicas: 1,
      pool: { poolSize: 15, poolCount: 2, maxOverflow: 5 },
    }]);
  });

  it('writes the guide development and production examples', () => {
    expect(build('dev', DEVELOPMENT).file.content + build('prod', PRODUCTION).file.content).toMatchSnapshot();
  });

  it('fails when a production file would hold the password', () => {
    const { app } = build('prod', {
      ...PRODUCTION,
      databaseUrlSecret: undefined,
      environment: { DATABASE_URL: 'ecto://postgres:secure_password@db:5432/clientats_prod' },
    });
    expect(validationProblems(app)).toEqual([
      '[prod] DATABASE_URL must not hold a password in a production environment (use a secret), got "ecto://postgres:***@db:5432/clientats_prod"',
    ]);
  });

  it('fails when a production file has no database URL at all', () => {
    const { app } = build('prod', { ...PRODUCTION, databaseUrlSecret: undefined });
    expect(validationProblems(app)).toEqual([
      '[prod] DATABASE_URL is required when NODE_ENV=production (or set DATABASE_URL_FILE), got nothing',
    ]);
  });

  it('fails when databaseService is not a service of the base', () => {
    const { app } = build('dev', { ...DEVELOPMENT, databaseService: 'postgres' });
    expect(validationProblems(app)).toEqual([
      '[dev] databaseService must name a service of templates/compose/development.yml (app, db), got "postgres"',
    ]);
  });
});
