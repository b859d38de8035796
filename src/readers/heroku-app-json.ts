/**
 * Budget consumers from a Heroku `app.json`: its `env` (plain strings or
 * `{ "value": … }`), every process type of its `formation` (web 1 when unset),
 * and preboot — from the caller (`--preboot`) or a `features` entry
 * (`["preboot"]` or `{ "preboot": true }`, which the generator writes), since
 * app.json has no standard field for it. Preboot doubles web dynos only.
 * `"clientats": { "runtime": false }` marks an app that does not run
 * clientats-runtime (no readiness connection). Heroku sends SIGKILL 30 s after SIGTERM.
 *
 * An app whose `buildpacks` include Heroku's PgBouncer buildpack runs a bouncer
 * inside every dyno (see src/heroku/pgbouncer-buildpack.ts): its process types
 * count on the client side of a per-dyno PgBouncer tier sized by the
 * `PGBOUNCER_*` config vars of `env`, and the tier counts on the server side.
 */
import { basename, dirname } from 'node:path';
import type { Environment } from 'clientats-runtime/contract';
import {
  BUILDPACK_VARS,
  buildpackBouncer,
  buildpackEnabled,
  isPgbouncerBuildpack,
} from '../heroku/pgbouncer-buildpack.js';
import type { PgbouncerTier } from '../pgbouncer/read-pgbouncer-tier.js';
import {
  environmentValue,
  InputError,
  integerAt,
  isDatabaseClient,
  objectAt,
  optionalObjectAt,
  poolShapeOf,
  runsRuntime,
  show,
  withoutSecrets,
  type ManifestFindings,
} from './manifest-input.js';

/** Heroku's fixed time between SIGTERM and SIGKILL. */
const HEROKU_GRACE_SECONDS = 30;

/** True when a parsed JSON document looks like an app.json. */
export function isHerokuAppJson(document: unknown, fileName: string): boolean {
  return (
    typeof document === 'object' &&
    document !== null &&
    !Array.isArray(document) &&
    (basename(fileName) === 'app.json' || 'formation' in document)
  );
}

/** Options of `readHerokuAppJson`. */
export interface HerokuReadOptions {
  /** Preboot on regardless of the file. @default false */
  readonly preboot?: boolean;
}

/** What an app.json holds: its consumers and, behind the PgBouncer buildpack, its per-dyno tier. */
export interface HerokuFindings extends ManifestFindings {
  readonly pgbouncers: PgbouncerTier[];
}

/** Reads one app.json. */
export function readHerokuAppJson(
  document: unknown,
  source: string,
  options: HerokuReadOptions = {},
): HerokuFindings {
  const findings: HerokuFindings = { consumers: [], timing: [], notes: [], pgbouncers: [] };
  const app = objectAt(document, source);
  const folder = basename(dirname(source));
  const appName =
    typeof app.name === 'string' && app.name.trim() !== ''
      ? app.name
      : folder === '.' || folder === ''
        ? 'app'
        : folder;
  const environment = appEnvironment(app, source);
  if (!isDatabaseClient(environment)) {
    findings.notes.push(`${source}: app "${appName}" sets no POOL_* or DATABASE_URL: not a database client`);
    return findings;
  }
  const pool = poolShapeOf(environment, `${source}: app "${appName}"`);
  const preboot = options.preboot === true || prebootFeature(app.features, source);
  const marker = optionalObjectAt(app.clientats, `${source}: clientats`)?.runtime;
  const runtime = runsRuntime(marker, `${source}: clientats.runtime`);
  const formation = optionalObjectAt(app.formation, `${source}: formation`) ?? { web: { quantity: 1 } };
  const bounced = buildpackOf(app, environment, source, findings.notes);
  for (const [processType, value] of Object.entries(formation)) {
    const where = `${source}: formation.${processType}`;
    const quantity = integerAt(objectAt(value ?? {}, where).quantity, `${where}.quantity`) ?? 1;
    const name = `${appName}/${processType}`;
    findings.consumers.push({
      kind: 'heroku',
      name,
      source,
      dynos: quantity,
      preboot: preboot && processType === 'web',
      pool,
      ...(runtime ? {} : { probeConnections: 0 }),
      ...(bounced ? { pooler: 'pgbouncer' as const } : {}),
    });
    if (!runtime) continue;
    findings.timing.push({
      name,
      source,
      environment: withoutSecrets(environment),
      gracePeriodSeconds: HEROKU_GRACE_SECONDS,
      gracePeriodField: 'Heroku SIGTERM-to-SIGKILL',
    });
  }
  if (bounced) findings.pgbouncers.push(buildpackTier(app, environment, source, appName, findings));
  return findings;
}

/**
 * True when the app runs Heroku's PgBouncer buildpack, enabled: its dynos
 * connect through their own bouncer.
 */
function buildpackOf(
  app: Record<string, unknown>,
  environment: Environment,
  source: string,
  notes: string[],
): boolean {
  const buildpacks = app.buildpacks === undefined ? [] : app.buildpacks;
  if (!Array.isArray(buildpacks))
    throw new InputError(
      `${source}: buildpacks must be a list like [{"url": "heroku/nodejs"}], got ${show(buildpacks)}`,
    );
  const urls = buildpacks.map((entry) =>
    typeof entry === 'string' ? entry : (entry as { url?: unknown } | null)?.url,
  );
  if (!urls.some(isPgbouncerBuildpack)) return false;
  if (!buildpackEnabled(environment[BUILDPACK_VARS.enabled])) {
    notes.push(
      `${source}: the PgBouncer buildpack is disabled (${BUILDPACK_VARS.enabled}=` +
        `${show(environment[BUILDPACK_VARS.enabled])}): its dynos connect directly`,
    );
    return false;
  }
  return true;
}

/** The per-dyno bouncer tier of an app behind the buildpack, serving every process type of the app. */
function buildpackTier(
  app: Record<string, unknown>,
  environment: Environment,
  source: string,
  appName: string,
  findings: HerokuFindings,
): PgbouncerTier {
  const env = optionalObjectAt(app.env, `${source}: env`) ?? {};
  for (const name of Object.values(BUILDPACK_VARS)) {
    const entry = env[name];
    if (typeof entry === 'object' && entry !== null && (entry as { value?: unknown }).value === undefined) {
      throw new InputError(
        `${source}: env ${name} has no value (it is set when the app is created), ` +
          `so the dynos' bouncers cannot be sized: ` +
          'give it a "value" in app.json',
      );
    }
  }
  let bouncer;
  try {
    bouncer = buildpackBouncer(environment, `${source}: env`);
  } catch (error) {
    throw new InputError((error as Error).message, { cause: error });
  }
  if (bouncer.urls.length > 1)
    findings.notes.push(
      `${source}: ${BUILDPACK_VARS.urls} routes ${bouncer.urls.join(', ')} through each dyno's bouncer: ` +
        "a pool per URL per dyno, all counted against this app's database",
    );
  if (bouncer.poolMode !== 'transaction')
    findings.notes.push(
      `${source}: ${BUILDPACK_VARS.poolMode}=${bouncer.poolMode}: a server connection stays with its client for ` +
        'the session, so a dyno uses at most default_pool_size + reserve_pool_size of its pool connections at once',
    );
  // app.json cannot say which Procfile lines start with bin/start-pgbouncer: the generator starts them all so.
  for (const consumer of findings.consumers) {
    if (consumer.name !== `${appName}/web`)
      findings.notes.push(
        `${source}: ${consumer.name} is counted behind its dynos' own bouncers: its Procfile line must start with ` +
          'bin/start-pgbouncer, or it connects directly with more connections than counted',
      );
  }
  const web = findings.consumers.find((consumer) => consumer.name === `${appName}/web`);
  return {
    name: appName,
    source,
    file: source,
    ini: bouncer.ini,
    pools: bouncer.pools,
    fleet: {
      replicas: web !== undefined && web.kind === 'heroku' ? Math.max(1, web.dynos) : 1,
      placement: {
        kind: 'per-instance',
        unit: 'dyno',
        serves: findings.consumers.map((consumer) => consumer.name),
      },
    },
  };
}

/** Add-ons that attach `DATABASE_URL` to the app (Heroku Postgres). */
const POSTGRES_ADDON = /^heroku-postgresql(:|$)/;

function appEnvironment(app: Record<string, unknown>, source: string): Environment {
  const environment: Record<string, string | undefined> = {};
  // The add-on sets DATABASE_URL itself, so an app.json need not list it to be a database client.
  const addons = Array.isArray(app.addons) ? app.addons : [];
  const plans = addons.map((addon) =>
    typeof addon === 'string' ? addon : (addon as { plan?: unknown } | null)?.plan,
  );
  if (plans.some((plan) => typeof plan === 'string' && POSTGRES_ADDON.test(plan)))
    environment.DATABASE_URL = '';
  const env = optionalObjectAt(app.env, `${source}: env`) ?? {};
  for (const [name, value] of Object.entries(env)) {
    const where = `${source}: env ${name}`;
    if (typeof value === 'object' && value !== null) {
      const entry = value as Record<string, unknown>;
      // A variable without a value (required, or generated by Heroku like DATABASE_URL) is present but unknown.
      environment[name] = environmentValue(entry.value, `${where}.value`) ?? '';
    } else {
      environment[name] = environmentValue(value, where);
    }
  }
  return environment;
}

function prebootFeature(features: unknown, source: string): boolean {
  if (features === undefined || features === null) return false;
  if (Array.isArray(features))
    return features.some(
      (feature) => feature === 'preboot' || (feature as { name?: unknown } | null)?.name === 'preboot',
    );
  if (typeof features === 'object') {
    const preboot = (features as Record<string, unknown>).preboot;
    if (preboot === undefined || typeof preboot === 'boolean') return preboot === true;
    const enabled = (preboot as { enabled?: unknown } | null)?.enabled;
    if (typeof enabled === 'boolean') return enabled;
  }
  throw new InputError(
    `${source}: features must be a list like ["preboot"] or a mapping like {"preboot": true}, got ${show(features)}`,
  );
}
