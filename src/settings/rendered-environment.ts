/**
 * Environment variables as the generator writes them: layered (preset, then
 * overrides), rendered to strings, and checked with the runtime's own
 * `validateEnvironment`, so no manifest carries a value the runtime rejects.
 */
import {
  ENVIRONMENT_VARIABLES,
  environmentVariable,
  parseDatabaseUrl,
  redactDatabaseUrl,
  validateEnvironment,
  type EnvironmentVariableName,
  type PoolShape,
} from 'clientats-runtime/contract';

/** A value as written in `main.ts`; rendered with `String()`. */
export type EnvironmentValue = string | number | boolean;

/** Variables of one environment: the contract's names plus `NODE_ENV`. */
export type EnvironmentValues = Readonly<
  Partial<Record<EnvironmentVariableName | 'NODE_ENV', EnvironmentValue>>
>;

/** Variables after rendering: name → string, in the contract's order. */
export type RenderedEnvironment = Readonly<Record<string, string>>;

const ORDER: readonly string[] = ['NODE_ENV', ...ENVIRONMENT_VARIABLES.map((variable) => variable.name)];

/**
 * Merges layers left to right (later wins) and renders every value as a string, `NODE_ENV` first, then the
 * contract's order.
 */
export function renderEnvironment(...layers: readonly EnvironmentValues[]): RenderedEnvironment {
  const merged = new Map<string, string>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      if (value !== undefined) merged.set(name, String(value));
    }
  }
  const rank = (name: string): number => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  const names = [...merged.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(names.map((name) => [name, merged.get(name) as string]));
}

/** How the rest of an environment's variables reach the process. */
export interface EnvironmentSources {
  /**
   * Variables set outside the rendered map, with where they come from, e.g.
   * `{ DATABASE_URL: 'secret clientats-database' }`. They must not also appear
   * in the map; a `DATABASE_URL` given here satisfies `NODE_ENV=production`'s need for one.
   */
  readonly suppliedElsewhere?: Readonly<Partial<Record<EnvironmentVariableName, string>>>;
}

/**
 * Every problem of a rendered environment, one line each, naming the variable,
 * showing the value (passwords redacted) and saying what is allowed. Empty when valid.
 */
export function environmentProblems(env: RenderedEnvironment, sources: EnvironmentSources = {}): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ORDER.includes(name)) {
      problems.push(
        `${name} is not a variable clientats-runtime reads (see the settings table in the README), ` +
          `got ${JSON.stringify(value)}`,
      );
    }
  }
  const suppliedElsewhere = Object.entries(sources.suppliedElsewhere ?? {});
  for (const [name, source] of suppliedElsewhere) {
    const value = env[name];
    if (value !== undefined) {
      const shown = name === 'HEALTH_CHECK_TOKEN' ? '***' : redactDatabaseUrl(value);
      problems.push(
        `${name} comes from ${source}: remove it from the environment, got ${JSON.stringify(shown)}`,
      );
    }
  }
  const token = env.HEALTH_CHECK_TOKEN;
  if (token !== undefined && token !== '' && sources.suppliedElsewhere?.HEALTH_CHECK_TOKEN === undefined) {
    problems.push(
      'HEALTH_CHECK_TOKEN must not be written into a manifest: give it from a secret (e.g. ' +
        'healthCheckTokenSecret), got "***"',
    );
  }
  // NODE_ENV only makes the runtime demand a URL; one supplied elsewhere satisfies that.
  const urlElsewhere = sources.suppliedElsewhere?.DATABASE_URL !== undefined;
  const checked = urlElsewhere ? { ...env, NODE_ENV: undefined } : env;
  problems.push(...validateEnvironment(checked).map((problem) => problem.message));
  const url = env.DATABASE_URL;
  if (env.NODE_ENV === 'production' && url !== undefined && hasPassword(url)) {
    problems.push(
      'DATABASE_URL must not hold a password in a production environment (use a secret), ' +
        `got ${JSON.stringify(redactDatabaseUrl(url))}`,
    );
  }
  return problems;
}

function hasPassword(url: string): boolean {
  try {
    return parseDatabaseUrl(url).password !== undefined;
  } catch {
    return false; // a malformed URL is already reported by validateEnvironment
  }
}

/**
 * An integer setting from a rendered environment, or its contract default when unset or unreadable
 * (validation reports the latter).
 */
export function integerSetting(env: RenderedEnvironment, name: EnvironmentVariableName): number {
  const fallback = Number(environmentVariable(name).default);
  const raw = env[name];
  const value = raw === undefined ? fallback : Number(raw.trim());
  return Number.isSafeInteger(value) ? value : fallback;
}

/** POOL_SIZE / POOL_COUNT / MAX_OVERFLOW of a rendered environment, as the connection budget reads them. */
export function renderedPoolShape(env: RenderedEnvironment): PoolShape {
  return {
    poolSize: integerSetting(env, 'POOL_SIZE'),
    poolCount: integerSetting(env, 'POOL_COUNT'),
    maxOverflow: integerSetting(env, 'MAX_OVERFLOW'),
  };
}
