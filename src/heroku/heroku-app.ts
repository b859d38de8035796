/**
 * `HerokuApp`: `heroku/<app>/app.json`, `Procfile` and `config.sh` for
 * clientats-runtime on Heroku with a `heroku-postgresql` add-on. The add-on
 * sets `DATABASE_URL` itself, so no file holds it; `HEALTH_CHECK_TOKEN` is a
 * config var Heroku generates (app.json) or `config.sh` creates once.
 *
 * With `pgbouncer`, every dyno runs behind its own PgBouncer (Heroku's
 * `heroku/pgbouncer` buildpack, see pgbouncer-buildpack.ts): the buildpack
 * before heroku/nodejs, `PGBOUNCER_*` config vars, `web: bin/start-pgbouncer …`,
 * and the runtime in transaction mode (`DATABASE_POOLER=pgbouncer`) over the
 * dyno-local plain-TCP hop (`DATABASE_SSL=false`; the bouncer encrypts to the server).
 */
import { Construct } from 'constructs';
import { perInstanceConnections, type PoolShape } from 'clientats-runtime/contract';
import type { BudgetedWorkload, DatabaseDeclaration } from '../budget/budgeted-workload.js';
import { usableSlots } from '../budget/compute-budget.js';
import { GENERATED_HEADER, jsonFile, type FileEmitter, type GeneratedFile } from '../emit/generated-file.js';
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
import {
  BUILDPACK_DEFAULTS,
  BUILDPACK_VARS,
  PGBOUNCER_BUILDPACK,
  START_PGBOUNCER,
} from './pgbouncer-buildpack.js';

/** Heroku's PgBouncer buildpack in every dyno: the pool settings it gets as config vars. */
export interface HerokuPgbouncerProps {
  /**
   * Server connections of each dyno's bouncer (`PGBOUNCER_DEFAULT_POOL_SIZE`).
   * @default derived from the budget: the database's usable slots (less declared other clients) over the
   * web dynos at a deploy (× 2 with preboot), less `reservePoolSize`, and no more than one dyno's clients
   */
  readonly defaultPoolSize?: number;
  /** Extra server connections when a client waited 5 s (`PGBOUNCER_RESERVE_POOL_SIZE`). @default 1 (the buildpack's) */
  readonly reservePoolSize?: number;
  /** Client connections one dyno's bouncer accepts (`PGBOUNCER_MAX_CLIENT_CONN`). @default 100 (the buildpack's) */
  readonly maxClientConn?: number;
  /** Only `transaction`: what the runtime's `DATABASE_POOLER=pgbouncer` is made for. @default 'transaction' */
  readonly poolMode?: 'transaction';
}

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
  /**
   * Heroku Postgres plan of the add-on; must agree with `database` when that comes from a `heroku:` provider
   * preset. @default the preset's plan (`heroku:standard-2` ⇒ `standard-2`), else 'standard-0'
   */
  readonly postgresPlan?: string;
  /** Run every web dyno behind its own PgBouncer (Heroku's pgbouncer buildpack). @default none: direct */
  readonly pgbouncer?: HerokuPgbouncerProps;
}

/** `DATABASE_SSL` behind the buildpack: the runtime talks plain TCP to 127.0.0.1:6000 inside the dyno. */
const HEROKU_PGBOUNCER_SSL_MODES: readonly string[] = ['false', '0', 'disable'];

/**
 * The only `DATABASE_SSL` that works on Heroku Postgres: it requires TLS, but
 * its server certificates are not signed by a CA the dyno trusts, so
 * `verify-full` (what `true` means) refuses them; `require` encrypts without verifying.
 */
const HEROKU_SSL_MODE = 'require';

const ADDON = 'heroku-postgresql';
/** The provider presets of Heroku Postgres plans: `heroku:<plan>`. */
const HEROKU_PRESET = 'heroku:';

/** The plan of a database declared with a `heroku:` preset: `heroku:standard-0` ⇒ `standard-0`. */
function herokuPlanOf(database: DatabaseDeclaration): string | undefined {
  const preset = database.provider?.name;
  return preset?.startsWith(HEROKU_PRESET) === true ? preset.slice(HEROKU_PRESET.length) : undefined;
}

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
  /**
   * Budget-derived alerts and dashboards: off behind PgBouncer, as for the Kubernetes app behind one (the
   * app counts on the bouncer's client tier, which has no alert thresholds yet).
   */
  public readonly monitoring: boolean;
  /** Explicit choices synth prints: behind PgBouncer, why the runtime connects without TLS. */
  public readonly synthNotes: readonly string[];
  /** The buildpack's config vars (`PGBOUNCER_*`) when the dynos run behind PgBouncer. */
  public readonly pgbouncerConfig?: Readonly<Record<string, string>>;
  private readonly pgbouncerProps?: HerokuPgbouncerProps;
  /** The plan of the database's `heroku:` provider preset, if it has one. */
  private readonly presetPlan?: string;

  constructor(scope: Construct, id: string, props: HerokuAppProps) {
    super(scope, id);
    this.appName = props.appName ?? id;
    this.budgetDatabase = props.database;
    // Behind the buildpack the runtime speaks transaction mode over the dyno-local plain-TCP hop.
    const bounced =
      props.pgbouncer === undefined ? {} : { DATABASE_POOLER: 'pgbouncer', DATABASE_SSL: false };
    this.environment = renderEnvironment(presetValues(props.preset), bounced, props.environment ?? {});
    this.dynos = props.dynos ?? 1;
    this.dynoSize = props.dynoSize ?? 'standard-1x';
    this.preboot = props.preboot ?? true;
    this.presetPlan = herokuPlanOf(props.database);
    this.addonPlan = `${ADDON}:${props.postgresPlan ?? this.presetPlan ?? 'standard-0'}`;
    this.pool = renderedPoolShape(this.environment);
    this.pgbouncerProps = props.pgbouncer;
    this.monitoring = props.pgbouncer === undefined;
    this.synthNotes =
      props.pgbouncer === undefined
        ? []
        : [
            `note: [${id}] connects to its database without TLS: it connects to the PgBouncer inside its own dyno ` +
              '(127.0.0.1:6000), which encrypts to Heroku Postgres (buildpack server_tls_sslmode require)',
          ];
    if (props.pgbouncer !== undefined) this.pgbouncerConfig = this.buildpackConfig(props.pgbouncer);
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** One dyno's connections to its bouncer: POOL_COUNT × (POOL_SIZE + MAX_OVERFLOW) + 1 readiness. */
  public get perDynoConnections(): number {
    return perInstanceConnections(this.pool);
  }

  /** The buildpack's config vars, every sizing value written out (not left to the buildpack's defaults). */
  private buildpackConfig(props: HerokuPgbouncerProps): Record<string, string> {
    const reserve = props.reservePoolSize ?? BUILDPACK_DEFAULTS.reservePoolSize;
    return {
      [BUILDPACK_VARS.urls]: BUILDPACK_DEFAULTS.urls,
      [BUILDPACK_VARS.poolMode]: props.poolMode ?? 'transaction',
      [BUILDPACK_VARS.defaultPoolSize]: String(props.defaultPoolSize ?? this.derivedPoolSize(reserve)),
      [BUILDPACK_VARS.reservePoolSize]: String(reserve),
      [BUILDPACK_VARS.maxClientConn]: String(props.maxClientConn ?? BUILDPACK_DEFAULTS.maxClientConn),
    };
  }

  /**
   * The largest default_pool_size whose dynos fit the database: usable slots less declared other clients,
   * over the web dynos during a deploy (preboot doubles them), less the reserve; at least 1, and no more
   * than one dyno's client connections (a bigger pool would never fill).
   */
  private derivedPoolSize(reserve: number): number {
    const others = (this.budgetDatabase.otherClients ?? []).reduce(
      (sum, client) => sum + client.connections,
      0,
    );
    const dynos = this.preboot ? 2 * this.dynos : this.dynos;
    const perDyno = Math.floor((usableSlots(this.budgetDatabase).usable - others) / Math.max(1, dynos));
    return Math.max(1, Math.min(this.perDynoConnections, perDyno - reserve));
  }

  /** `app.json` (templates/heroku/app.json plus env, formation, add-on and preboot), `Procfile` and `config.sh`. */
  public generatedFiles(): readonly GeneratedFile[] {
    const directory = `heroku/${this.appName}`;
    const appJson = mergeStructures(
      { name: this.appName, ...loadTemplate('heroku/app.json') },
      {
        ...(this.pgbouncerConfig === undefined
          ? {}
          : {
              buildpacks: [
                { url: PGBOUNCER_BUILDPACK },
                ...(loadTemplate('heroku/app.json').buildpacks as unknown[]),
              ],
            }),
        env: {
          ...this.environment,
          ...this.pgbouncerConfig,
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
      { path: `${directory}/Procfile`, content: this.procfile() },
      { path: `${directory}/config.sh`, content: this.configScript(), executable: true },
    ];
  }

  /** templates/heroku/Procfile; behind PgBouncer each process starts through `bin/start-pgbouncer`. */
  private procfile(): string {
    const template = readTemplate('heroku/Procfile');
    if (this.pgbouncerConfig === undefined) return template;
    return template.replace(
      /^(\w+):\s*/gm,
      (_, processType: string) => `${processType}: ${START_PGBOUNCER} `,
    );
  }

  /** The guide's `heroku config:set … -a <app>`, with preboot and formation for an existing app. */
  private configScript(): string {
    const app = shellWord(this.appName);
    const assignments = Object.entries({ ...this.environment, ...this.pgbouncerConfig }).map(
      ([name, value]) => `  ${name}=${shellWord(value)} \\`,
    );
    const buildpacks =
      this.pgbouncerConfig === undefined
        ? []
        : [
            '# Every dyno runs its own PgBouncer (heroku/pgbouncer buildpack), listed before heroku/nodejs.',
            `heroku buildpacks:clear -a ${app}`,
            `heroku buildpacks:add ${PGBOUNCER_BUILDPACK} -a ${app}`,
            ...(loadTemplate('heroku/app.json').buildpacks as { url: string }[]).map(
              (buildpack) => `heroku buildpacks:add ${shellWord(buildpack.url)} -a ${app}`,
            ),
          ];
    return [
      '#!/bin/sh',
      `# ${GENERATED_HEADER}`,
      `# Configures Heroku app ${this.appName} as in the guide's "Heroku Deployment".`,
      ...(this.pgbouncerConfig === undefined
        ? [
            `# DATABASE_SSL=${HEROKU_SSL_MODE}, not the guide's true: Heroku Postgres requires TLS, ` +
              'but its certificates',
            '# are not signed by a CA the dyno trusts, so verify-full (true) would refuse them; ' +
              'require still encrypts.',
            '# DATABASE_URL is set by the heroku-postgresql add-on.',
          ]
        : [
            '# DATABASE_SSL=false: the runtime connects to the PgBouncer inside its own dyno ' +
              '(127.0.0.1:6000, plain TCP);',
            "# that bouncer encrypts to Heroku Postgres (the buildpack's server_tls_sslmode defaults to require).",
            '# DATABASE_URL is set by the heroku-postgresql add-on; ' +
              "bin/start-pgbouncer points it at the dyno's bouncer.",
          ]),
      '# REQUIRED config var HEALTH_CHECK_TOKEN (diagnostics answer 401 to everyone without it): this script',
      `# sets it once when the app has none: heroku config:set HEALTH_CHECK_TOKEN="$(${TOKEN_GENERATOR})" -a ${app}`,
      'set -eu',
      this.preboot
        ? '# Preboot overlaps old and new dynos for about 3 minutes per deploy: ' +
          `the connection budget counts them twice.\nheroku features:enable preboot -a ${app}`
        : `heroku features:disable preboot -a ${app}`,
      ...buildpacks,
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
    if (this.pgbouncerProps !== undefined) problems.push(...this.pgbouncerProblems(this.pgbouncerProps));
    else if (ssl?.trim().toLowerCase() !== HEROKU_SSL_MODE) {
      problems.push(
        `DATABASE_SSL must be ${HEROKU_SSL_MODE} on Heroku (Heroku Postgres requires TLS and its ` +
          `certificates do not verify), got ${JSON.stringify(ssl ?? '')}`,
      );
    }
    if (!(Number.isSafeInteger(this.dynos) && this.dynos >= 1))
      problems.push(`dynos must be an integer >= 1, got ${this.dynos}`);
    if (this.presetPlan !== undefined && this.addonPlan !== `${ADDON}:${this.presetPlan}`) {
      problems.push(
        `the add-on plan ${this.addonPlan} and the database preset ${HEROKU_PRESET}${this.presetPlan} ` +
          'disagree: leave postgresPlan out (it follows the preset) ' +
          'or declare the database with the preset of that plan',
      );
    }
    return problems;
  }

  /**
   * What running behind the buildpack needs: transaction mode, plain TCP in the dyno, a pool that fits
   * max_client_conn.
   */
  private pgbouncerProblems(props: HerokuPgbouncerProps): string[] {
    const problems: string[] = [];
    const count = (name: string, value: number | undefined, minimum: number): void => {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= minimum))
        problems.push(`pgbouncer.${name} must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
    };
    count('defaultPoolSize', props.defaultPoolSize, 1);
    count('reservePoolSize', props.reservePoolSize, 0);
    count('maxClientConn', props.maxClientConn, 1);
    if ((props.poolMode ?? 'transaction') !== 'transaction')
      problems.push(
        'pgbouncer.poolMode must be transaction (what DATABASE_POOLER=pgbouncer runs in), ' +
          `got ${JSON.stringify(props.poolMode)}`,
      );
    const pooler = this.environment.DATABASE_POOLER;
    if (pooler !== 'pgbouncer')
      problems.push(
        'DATABASE_POOLER must be pgbouncer behind the PgBouncer buildpack (transaction mode), ' +
          `got ${JSON.stringify(pooler ?? '')}`,
      );
    const ssl = this.environment.DATABASE_SSL?.trim().toLowerCase();
    if (ssl === undefined || !HEROKU_PGBOUNCER_SSL_MODES.includes(ssl))
      problems.push(
        `DATABASE_SSL must be false behind the PgBouncer buildpack (the dyno's bouncer listens on 127.0.0.1:6000 ` +
          'without TLS and encrypts to Heroku Postgres itself), ' +
          `got ${JSON.stringify(this.environment.DATABASE_SSL ?? '')}`,
      );
    const maxClientConn = props.maxClientConn ?? BUILDPACK_DEFAULTS.maxClientConn;
    if (Number.isSafeInteger(maxClientConn) && this.perDynoConnections > maxClientConn)
      problems.push(
        `pgbouncer.maxClientConn ${maxClientConn} is below what one dyno opens to its bouncer: ` +
          `POOL_COUNT ${this.pool.poolCount} × (POOL_SIZE ${this.pool.poolSize} + MAX_OVERFLOW ` +
          `${this.pool.maxOverflow}) ` +
          `+ 1 readiness = ${this.perDynoConnections}: raise maxClientConn to ` +
          `${this.perDynoConnections} or shrink the pool`,
      );
    return problems;
  }
}

/** A value as one shell word: bare when it holds only safe characters, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
