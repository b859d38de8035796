import { readFileSync } from 'node:fs';
import { Testing } from 'cdk8s';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { findProvider, providerLimits } from '../../src/budget/providers.js';
import { HerokuApp, type HerokuAppProps } from '../../src/heroku/heroku-app.js';
import { APP_COMMAND } from '../../src/settings/deployment-image.js';
import { readManifests } from '../../src/readers/read-manifests.js';
import { validationProblems } from '../../src/synth/synthesize.js';
import appJsonSchema from './app-json.schema.json' with { type: 'json' };

const validateAppJson = new Ajv({ allErrors: true, strict: true }).compile(appJsonSchema);

/** The guide's "Heroku Deployment" example, DATABASE_SSL as Heroku needs it. */
const GUIDE_EXAMPLE: HerokuAppProps = {
  database: { name: 'heroku-db', maxConnections: 120 },
  environment: { POOL_SIZE: 12, POOL_COUNT: 1, MAX_OVERFLOW: 4, POOL_TIMEOUT: 8000, DATABASE_SSL: 'require' },
  dynos: 2,
};

function build(props: HerokuAppProps = GUIDE_EXAMPLE) {
  const app = Testing.app();
  const heroku = new HerokuApp(app, 'clientats-prod', props);
  const files = Object.fromEntries(heroku.generatedFiles().map((file) => [file.path, file]));
  return { app, heroku, files };
}

function contentOf(files: ReturnType<typeof build>['files'], path: string): string {
  const file = files[path];
  if (file === undefined) throw new Error(`no ${path} generated`);
  return file.content;
}

describe('HerokuApp', () => {
  it('writes app.json with the guide values, the formation and the Postgres add-on', () => {
    const appJson = JSON.parse(contentOf(build().files, 'heroku/clientats-prod/app.json'));
    expect(appJson.name).toBe('clientats-prod');
    expect(appJson.env).toEqual({
      POOL_SIZE: '12',
      POOL_COUNT: '1',
      MAX_OVERFLOW: '4',
      POOL_TIMEOUT: '8000',
      DATABASE_SSL: 'require',
      HEALTH_CHECK_TOKEN: {
        description: 'Bearer token for /health/diagnostics',
        generator: 'secret',
        required: true,
      },
    });
    expect(appJson.formation).toEqual({ web: { quantity: 2, size: 'standard-1x' } });
    expect(appJson.addons).toEqual([{ plan: 'heroku-postgresql:standard-0', as: 'DATABASE' }]);
    expect(appJson.buildpacks).toEqual([{ url: 'heroku/nodejs' }]);
  });

  it('writes an app.json the repository schema accepts', () => {
    const appJson: unknown = JSON.parse(contentOf(build().files, 'heroku/clientats-prod/app.json'));
    expect(validateAppJson(appJson), JSON.stringify(validateAppJson.errors)).toBe(true);
  });

  it('rejects an app.json with an unknown field through the repository schema', () => {
    expect(validateAppJson({ name: 'clientats-prod', dynos: 2 })).toBe(false);
  });

  it('copies the Procfile from templates', () => {
    expect(contentOf(build().files, 'heroku/clientats-prod/Procfile')).toBe(
      readFileSync('templates/heroku/Procfile', 'utf8'),
    );
  });

  it('starts the compiled entry the runtime/example image starts', () => {
    expect(contentOf(build().files, 'heroku/clientats-prod/Procfile')).toBe(`web: ${APP_COMMAND}\n`);
  });

  it('sets HEALTH_CHECK_TOKEN once when the app has none, and names it in the header', () => {
    const script = contentOf(build().files, 'heroku/clientats-prod/config.sh');
    expect(script).toContain(
      [
        'if [ -z "$(heroku config:get HEALTH_CHECK_TOKEN -a clientats-prod)" ]; then',
        '  heroku config:set HEALTH_CHECK_TOKEN="$(openssl rand -hex 32)" -a clientats-prod',
        'fi',
      ].join('\n'),
    );
    expect(script).toContain(
      '# REQUIRED config var HEALTH_CHECK_TOKEN (diagnostics answer 401 to everyone without it)',
    );
  });

  it('fails when HEALTH_CHECK_TOKEN is written into the config', () => {
    const { app } = build({
      ...GUIDE_EXAMPLE,
      environment: { ...GUIDE_EXAMPLE.environment, HEALTH_CHECK_TOKEN: 'tok' },
    });
    expect(validationProblems(app)).toEqual([
      '[clientats-prod] HEALTH_CHECK_TOKEN comes from a Heroku config var: remove it from the environment, got "***"',
    ]);
  });

  it('writes the guide heroku config:set command as an executable script', () => {
    const { files } = build();
    const script = contentOf(files, 'heroku/clientats-prod/config.sh');
    expect(files['heroku/clientats-prod/config.sh']?.executable).toBe(true);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(
      [
        'heroku config:set \\',
        '  POOL_SIZE=12 \\',
        '  POOL_COUNT=1 \\',
        '  MAX_OVERFLOW=4 \\',
        '  POOL_TIMEOUT=8000 \\',
        '  DATABASE_SSL=require \\',
        '  -a clientats-prod',
      ].join('\n'),
    );
    expect(script).toContain('heroku features:enable preboot -a clientats-prod\n');
    expect(script).toContain('heroku ps:scale web=2:standard-1x -a clientats-prod\n');
  });

  it('quotes config values that are not plain shell words', () => {
    const { files } = build({
      ...GUIDE_EXAMPLE,
      environment: { ...GUIDE_EXAMPLE.environment, DATABASE_SSL_CA: "/etc/it's ca.pem" },
    });
    expect(contentOf(files, 'heroku/clientats-prod/config.sh')).toContain(
      "  DATABASE_SSL_CA='/etc/it'\\''s ca.pem' \\\n",
    );
  });

  it('writes preboot into app.json, so the budget reads the doubled web dynos from the file alone', () => {
    const { heroku, files } = build();
    expect(heroku.budgetDatabase).toBe(GUIDE_EXAMPLE.database);
    const path = 'heroku/clientats-prod/app.json';
    expect(readManifests([{ path, text: contentOf(files, path) }]).files[0].consumers).toEqual([
      {
        kind: 'heroku',
        name: 'clientats-prod/web',
        source: path,
        dynos: 2,
        preboot: true,
        pool: { poolSize: 12, poolCount: 1, maxOverflow: 4 },
      },
    ]);
  });

  it('writes no preboot feature when preboot is off', () => {
    const { files } = build({ ...GUIDE_EXAMPLE, preboot: false });
    expect(JSON.parse(contentOf(files, 'heroku/clientats-prod/app.json'))).not.toHaveProperty('features');
  });

  it('writes the guide Heroku example', () => {
    const { files } = build();
    expect(
      Object.values(files)
        .map((file) => `# ${file.path}\n${file.content}`)
        .join('\n'),
    ).toMatchSnapshot();
  });

  it('fails when DATABASE_SSL verifies certificates, as the guide true does', () => {
    const { app } = build({
      ...GUIDE_EXAMPLE,
      environment: { ...GUIDE_EXAMPLE.environment, DATABASE_SSL: true },
    });
    expect(validationProblems(app)).toEqual([
      '[clientats-prod] DATABASE_SSL must be require on Heroku (Heroku Postgres requires TLS and its ' +
        'certificates do not verify), got "true"',
    ]);
  });

  it('fails when DATABASE_URL is set, which the add-on owns', () => {
    const { app } = build({
      ...GUIDE_EXAMPLE,
      environment: { ...GUIDE_EXAMPLE.environment, DATABASE_URL: 'postgres://u:p@h/d' },
    });
    expect(validationProblems(app)).toEqual([
      '[clientats-prod] DATABASE_URL comes from the heroku-postgresql:standard-0 add-on: ' +
        'remove it from the environment, got "postgres://u:***@h/d"',
    ]);
  });

  it('takes the add-on plan from the database preset when postgresPlan is left out', () => {
    const { heroku } = build({
      ...GUIDE_EXAMPLE,
      database: providerLimits(findProvider('heroku:standard-2')!, 'heroku-db'),
    });
    expect(heroku.addonPlan).toBe('heroku-postgresql:standard-2');
  });

  it('accepts a postgresPlan that agrees with the database preset', () => {
    const { app } = build({
      ...GUIDE_EXAMPLE,
      database: providerLimits(findProvider('heroku:standard-0')!, 'heroku-db'),
      postgresPlan: 'standard-0',
    });
    expect(validationProblems(app)).toEqual([]);
  });

  it('fails when the add-on plan and the database preset disagree', () => {
    const { app } = build({
      ...GUIDE_EXAMPLE,
      database: providerLimits(findProvider('heroku:standard-0')!, 'heroku-db'),
      postgresPlan: 'standard-2',
    });
    expect(validationProblems(app)).toEqual([
      '[clientats-prod] the add-on plan heroku-postgresql:standard-2 ' +
        'and the database preset heroku:standard-0 disagree: leave postgresPlan out (it follows the preset) ' +
        'or declare the database with the preset of that plan',
    ]);
  });

  it('fails when dynos is below 1', () => {
    const { app } = build({ ...GUIDE_EXAMPLE, dynos: 0 });
    expect(validationProblems(app)).toEqual(['[clientats-prod] dynos must be an integer >= 1, got 0']);
  });
});
