/**
 * `HerokuApp`: `heroku/<app>/app.json`, `Procfile` and `config.sh` for
 * clientats-runtime on Heroku with a `heroku-postgresql` add-on. The add-on
 * sets `DATABASE_URL` itself, so no file holds it; `HEALTH_CHECK_TOKEN` is a
 * config var Heroku generates (app.json) or `config.sh` creates once.
 */
import { Construct } from 'constructs';
import type { PoolShape } from 'clientats-runtime/contract';
import type { BudgetedWorkload, DatabaseDeclaration } from '../budget/budgeted-workload.js';
import { jsonFile, type FileEmitter, type GeneratedFile } from '../emit/generated-file.js';
import { loadTemplate, mergeStructures, readTemplate } from '../emit/templates.js';
import { TOKEN_GENERATOR } from '../settings/deployment-image.js';
import { presetValues, type PresetName } from '../settings/presets.js';
import {
  environmentProblems,
  renderedPoolShape,
  renderEnvironment,
  type EnvironmentValues,
  type RenderedEnvironment,
} from '../settings/rendered-environment.js';

/** Properties of a `HerokuApp`. */
export interface HerokuAppProps {
  /** The Heroku Postgres database, as declared for the connection budget. */
  readonly database: DatabaseDeclaration;
  /** Heroku app name, used in `-a <app>` and as the directory. @default the construct id */
  readonly appName?: string;
  /** The guide's preset the variables start from. @default none: the contract's defaults */
  readonly preset?: PresetName;
  /** Config vars over the preset; `DATABASE_SSL` must be `require` (see `HEROKU_SSL_MODE`). @default {} */
  readonly environment?: EnvironmentValues;
  /** Web dynos. @default 1 */
  readonly dynos?: number;
  /** Dyno size. @default 'standard-1x' */
  readonly dynoSize?: string;
  /** Preboot: new dynos start before old ones stop, so connections double during a deploy. @default true */
  readonly preboot?: boolean;
  /** Heroku Postgres plan of the add-on. @default 'standard-0' */
  readonly postgresPlan?: string;
}

/**
 * The only `DATABASE_SSL` that works on Heroku Postgres: it requires TLS, but
 * its server certificates are not signed by a CA the dyno trusts, so
 * `verify-full` (what `true` means) refuses them; `require` encrypts without verifying.
 */
export const HEROKU_SSL_MODE = 'require';

/** One Heroku app. */
export class HerokuApp extends Construct implements BudgetedWorkload, FileEmitter {
  public readonly appName: string;
  /** Config vars as written (without `DATABASE_URL`, which the add-on sets). */
  public readonly environment: RenderedEnvironment;
  public readonly dynos: number;
  public readonly dynoSize: string;
  public readonly preboot: boolean;
  /** Add-on plan, e.g. `heroku-postgresql:standard-0`. */
  public readonly addonPlan: string;
  public readonly pool: PoolShape;
  public readonly budgetDatabase: DatabaseDeclaration;

  constructor(scope: Construct, id: string, props: HerokuAppProps) {
    super(scope, id);
    this.appName = props.appName ?? id;
    this.budgetDatabase = props.database;
    this.environment = renderEnvironment(presetValues(props.preset), props.environment ?? {});
    this.dynos = props.dynos ?? 1;
    this.dynoSize = props.dynoSize ?? 'standard-1x';
    this.preboot = props.preboot ?? true;
    this.addonPlan = `heroku-postgresql:${props.postgresPlan ?? 'standard-0'}`;
    this.pool = renderedPoolShape(this.environment);
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** `app.json` (templates/heroku/app.json plus env, formation, add-on and preboot), `Procfile` and `config.sh`. */
  public generatedFiles(): readonly GeneratedFile[] {
    const directory = `heroku/${this.appName}`;
    const appJson = mergeStructures(
      { name: this.appName, ...loadTemplate('heroku/app.json') },
      {
        env: {
          ...this.environment,
          // Heroku generates a random value when the app is created from app.json; config.sh sets one otherwise.
          HEALTH_CHECK_TOKEN: {
            description: 'Bearer token for /health/diagnostics',
            generator: 'secret',
            required: true,
          },
        },
        formation: { web: { quantity: this.dynos, size: this.dynoSize } },
        addons: [{ plan: this.addonPlan, as: 'DATABASE' }],
        // Not an app.json field Heroku acts on (config.sh enables preboot): it lets the budget, at synth
        // and in `clientats-deploy check`, count the doubled web dynos from this file alone.
        features: this.preboot ? ['preboot'] : undefined,
      },
    );
    return [
      jsonFile(`${directory}/app.json`, appJson),
      { path: `${directory}/Procfile`, content: readTemplate('heroku/Procfile') },
      { path: `${directory}/config.sh`, content: this.configScript(), executable: true },
    ];
  }

  /** The guide's `heroku config:set … -a <app>`, with preboot and formation for an existing app. */
  private configScript(): string {
    const app = shellWord(this.appName);
    const assignments = Object.entries(this.environment).map(
      ([name, value]) => `  ${name}=${shellWord(value)} \\`,
    );
    return [
      '#!/bin/sh',
      '# Generated by clientats-deploy from src/main.ts: edit that, then run `npm run synth`.',
      `# Configures Heroku app ${this.appName} as in the guide's "Heroku Deployment".`,
      `# DATABASE_SSL=${HEROKU_SSL_MODE}, not the guide's true: Heroku Postgres requires TLS, but its certificates`,
      '# are not signed by a CA the dyno trusts, so verify-full (true) would refuse them; require still encrypts.',
      '# DATABASE_URL is set by the heroku-postgresql add-on.',
      '# REQUIRED config var HEALTH_CHECK_TOKEN (diagnostics answer 401 to everyone without it): this script',
      `# sets it once when the app has none: heroku config:set HEALTH_CHECK_TOKEN="$(${TOKEN_GENERATOR})" -a ${app}`,
      'set -eu',
      this.preboot
        ? `# Preboot overlaps old and new dynos for about 3 minutes per deploy: the connection budget counts them twice.\nheroku features:enable preboot -a ${app}`
        : `heroku features:disable preboot -a ${app}`,
      `heroku ps:scale web=${this.dynos}:${shellWord(this.dynoSize)} -a ${app}`,
      'heroku config:set \\',
      ...assignments,
      `  -a ${app}`,
      `if [ -z "$(heroku config:get HEALTH_CHECK_TOKEN -a ${app})" ]; then`,
      `  heroku config:set HEALTH_CHECK_TOKEN="$(${TOKEN_GENERATOR})" -a ${app}`,
      'fi',
      '',
    ].join('\n');
  }

  private problems(): string[] {
    const problems = environmentProblems(this.environment, {
      suppliedElsewhere: {
        DATABASE_URL: `the ${this.addonPlan} add-on`,
        HEALTH_CHECK_TOKEN: 'a Heroku config var',
      },
    });
    const ssl = this.environment.DATABASE_SSL;
    if (ssl?.trim().toLowerCase() !== HEROKU_SSL_MODE) {
      problems.push(
        `DATABASE_SSL must be ${HEROKU_SSL_MODE} on Heroku (Heroku Postgres requires TLS and its certificates do not verify), got ${JSON.stringify(ssl ?? '')}`,
      );
    }
    if (!(Number.isSafeInteger(this.dynos) && this.dynos >= 1))
      problems.push(`dynos must be an integer >= 1, got ${this.dynos}`);
    return problems;
  }
}

/** A value as one shell word: bare when it holds only safe characters, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
