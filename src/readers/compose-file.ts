/**
 * Budget consumers from a Docker Compose file: every service whose environment
 * (list or map form, plus `env_file`) marks it as a database client, with
 * `deploy.replicas` (1 when unset) and `stop_grace_period` (Compose default 10 s).
 *
 * Interpolation (`${NAME}`, `${NAME:-default}`…) takes the project's `.env`
 * (`variables`), as Compose does; the shell that runs Compose may override
 * it, so a value the budget needs that comes from interpolation is counted
 * with a note saying where it came from. A needed value nothing sets is
 * refused; any other (DATABASE_URL, a token) is present, value unknown.
 */
import type { Environment } from 'clientats-runtime/contract';
import type { ComposeConsumer } from '../budget/budget-types.js';
import {
  environmentValue,
  InputError,
  integerAt,
  isDatabaseClient,
  objectAt,
  optionalObjectAt,
  poolShapeOf,
  RUNTIME_LABEL,
  runsRuntime,
  show,
  withoutSecrets,
  type ManifestFindings,
} from './manifest-input.js';

/** Compose sends SIGKILL this long after SIGTERM unless `stop_grace_period` says otherwise. */
const DEFAULT_STOP_GRACE_SECONDS = 10;

/** True when a parsed YAML document looks like a Compose file. */
export function isComposeFile(document: unknown): boolean {
  return (
    typeof document === 'object' && document !== null && 'services' in document && !('apiVersion' in document)
  );
}

/** Options of `readComposeFile`. */
export interface ComposeReadOptions {
  /** Reads an `env_file` (path relative to the compose file); `undefined` when missing. */
  readonly readEnvFile?: (path: string) => string | undefined;
  /** Nodes a `deploy.mode: global` service runs on (`--nodes`). */
  readonly nodes?: number;
  /** The project's `.env` variables, which interpolation reads (the shell's are unknown here). */
  readonly variables?: Readonly<Record<string, string>>;
}

/** Variables whose value the budget needs: interpolation must give them one. */
const NEEDED =
  /^(POOL_.*|MAX_OVERFLOW|DATABASE_POOLER|READINESS_TIMEOUT_MS|SHUTDOWN_DELAY_MS|SHUTDOWN_DRAIN_MS)$/;

/** How a value is interpolated: the `.env` variables, whether the value is needed, where notes go. */
interface Interpolation {
  readonly variables: Readonly<Record<string, string>>;
  readonly needed: boolean;
  readonly notes: string[];
}

/** Reads the services of one Compose document. */
export function readComposeFile(
  document: unknown,
  source: string,
  options: ComposeReadOptions = {},
): ManifestFindings {
  const findings: ManifestFindings = { consumers: [], timing: [], notes: [], pooled: [] };
  const services = objectAt(objectAt(document, source).services, `${source}: services`);
  for (const [name, value] of Object.entries(services)) {
    const where = `${source}: service "${name}"`;
    const service = objectAt(value ?? {}, where);
    const environment = serviceEnvironment(service, where, options, findings.notes);
    if (!isDatabaseClient(environment)) {
      findings.notes.push(`${where} sets no POOL_* or DATABASE_URL: not a database client`);
      continue;
    }
    const deploy = optionalObjectAt(service.deploy, `${where} deploy`);
    const replicas = replicasOf(service, deploy, where, options, findings.notes);
    const runtime = runsRuntime(
      labelsOf(service.labels, where)[RUNTIME_LABEL],
      `${where} label ${RUNTIME_LABEL}`,
    );
    const consumer: ComposeConsumer = {
      kind: 'compose',
      name,
      source,
      replicas,
      pool: poolShapeOf(environment, where),
      ...(runtime ? {} : { probeConnections: 0 }),
      ...(environment.DATABASE_POOLER === 'pgbouncer' ? { pooler: 'pgbouncer' as const } : {}),
    };
    findings.consumers.push(consumer);
    if (consumer.pooler !== undefined)
      findings.pooled?.push({ consumer, where, url: environment.DATABASE_URL ?? '' });
    if (!runtime) continue;
    findings.timing.push({
      name,
      source,
      environment: withoutSecrets(environment),
      gracePeriodSeconds:
        service.stop_grace_period === undefined
          ? DEFAULT_STOP_GRACE_SECONDS
          : composeDurationSeconds(service.stop_grace_period, `${where} stop_grace_period`),
      gracePeriodField: 'stop_grace_period',
    });
  }
  return findings;
}

/** `deploy.replicas` or `scale` (1 when unset); a global service runs one container per node. */
function replicasOf(
  service: Record<string, unknown>,
  deploy: Record<string, unknown> | undefined,
  where: string,
  options: ComposeReadOptions,
  notes: string[],
): number {
  const scope = { variables: options.variables ?? {}, needed: true, notes };
  const mode = deploy?.mode ?? 'replicated';
  if (mode === 'global') {
    if (options.nodes !== undefined) return options.nodes;
    throw new InputError(
      `${where} runs one container per node (deploy.mode global) and connects to the database: ` +
        'give the node count with --nodes N',
    );
  }
  if (mode !== 'replicated')
    throw new InputError(`${where} deploy.mode must be replicated or global, got ${show(mode)}`);
  return (
    integerAt(
      composeNumber(deploy?.replicas, `${where} deploy.replicas`, scope),
      `${where} deploy.replicas`,
    ) ??
    integerAt(composeNumber(service.scale, `${where} scale`, scope), `${where} scale`) ??
    1
  );
}

/** Compose interpolates then casts numbers, so `"3"` and `"${REPLICAS:-3}"` mean 3 (unlike Kubernetes). */
function composeNumber(value: unknown, where: string, scope: Interpolation): unknown {
  if (typeof value !== 'string') return value;
  const text = interpolate(value, where, scope).trim();
  return /^\d+$/.test(text) ? Number(text) : value;
}

/** Service labels, list (`- key=value`) or map form. */
function labelsOf(labels: unknown, where: string): Record<string, unknown> {
  if (labels === undefined || labels === null) return {};
  if (!Array.isArray(labels)) return objectAt(labels, `${where} labels`);
  const entries = labels.map((entry) => {
    if (typeof entry !== 'string')
      throw new InputError(`${where} labels entries must be "key=value" strings, got ${show(entry)}`);
    const separator = entry.indexOf('=');
    return separator < 0 ? [entry, ''] : [entry.slice(0, separator), entry.slice(separator + 1)];
  });
  return Object.fromEntries(entries);
}

function serviceEnvironment(
  service: Record<string, unknown>,
  where: string,
  options: ComposeReadOptions,
  notes: string[],
): Environment {
  const variables = options.variables ?? {};
  const scope = (name: string): Interpolation => ({ variables, needed: NEEDED.test(name), notes });
  const environment: Record<string, string | undefined> = {};
  const files =
    service.env_file === undefined
      ? []
      : Array.isArray(service.env_file)
        ? service.env_file
        : [service.env_file];
  for (const entry of files) {
    const path = typeof entry === 'string' ? entry : (entry as { path?: unknown } | null)?.path;
    const required =
      typeof entry === 'object' && entry !== null
        ? (entry as { required?: unknown }).required !== false
        : true;
    if (typeof path !== 'string')
      throw new InputError(`${where} env_file entries must be paths, got ${show(entry)}`);
    const text = options.readEnvFile?.(path);
    if (text === undefined) {
      if (required)
        throw new InputError(`${where} env_file "${path}" cannot be read: the budget needs its values`);
      continue;
    }
    Object.assign(environment, parseDotenv(text));
  }
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      if (typeof entry !== 'string')
        throw new InputError(`${where} environment entries must be "NAME=value" strings, got ${show(entry)}`);
      const separator = entry.indexOf('=');
      // `- NAME` alone passes the variable through from the host: its value is unknown here.
      if (separator < 0) environment[entry] = '';
      else
        environment[entry.slice(0, separator)] = interpolate(
          entry.slice(separator + 1),
          `${where} environment ${entry.slice(0, separator)}`,
          scope(entry.slice(0, separator)),
        );
    }
  } else if (raw !== undefined && raw !== null) {
    for (const [name, value] of Object.entries(objectAt(raw, `${where} environment`))) {
      const text = environmentValue(value, `${where} environment ${name}`);
      environment[name] =
        text === undefined ? '' : interpolate(text, `${where} environment ${name}`, scope(name));
    }
  }
  return environment;
}

/**
 * Compose interpolation: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`,
 * `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+other}`,
 * `${NAME+other}`, from the `.env` variables. A variable `.env` does not set
 * may come from the shell: a needed value takes its default (with a note) or
 * is refused; any other becomes empty (present, value unknown).
 */
function interpolate(value: string, where: string, scope: Interpolation): string {
  const sources: string[] = [];
  const text = value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\$/g,
    (whole, braced: string | undefined, operator: string | undefined, operand: string | undefined, bare) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const set = Object.hasOwn(scope.variables, name) ? scope.variables[name] : undefined;
      const empty = set === undefined || (operator?.startsWith(':') === true && set === '');
      if (operator?.endsWith('+') === true) {
        if (set !== undefined) return empty ? '' : (operand ?? '');
        if (!scope.needed) return '';
      } else if (set !== undefined && !(empty && operator?.endsWith('-') === true)) {
        if (scope.needed) sources.push(`${name} from .env`);
        return set;
      } else if (operator?.endsWith('-') === true) {
        if (scope.needed) sources.push(`the default of ${name}: .env does not set it`);
        return operand ?? '';
      } else if (!scope.needed) {
        return '';
      }
      throw new InputError(
        `${where} uses \${${name}} without a default, got ${show(value)}: write the value or \${${name}:-value}`,
      );
    },
  );
  if (sources.length > 0) {
    scope.notes.push(
      `${where} is ${show(value)}: counted as ${show(text)} (${sources.join(', ')}); ` +
        'a variable of the same name in the shell that runs docker compose overrides it',
    );
  }
  return text;
}

/** The variables of a dotenv file (`NAME=value`, `export NAME=value`, quotes, `#` comments). */
export function parseDotenv(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match !== null && !line.trimStart().startsWith('#')) variables[match[1]] = unquote(match[2]);
  }
  return variables;
}

function unquote(value: string): string {
  const match = /^(['"])(.*)\1$/.exec(value);
  return match === null ? value : match[2];
}

/** Compose durations: `10s`, `1m30s`, `500ms`, `1h`, or a bare number of seconds. */
export function composeDurationSeconds(value: unknown, where: string): number {
  if (typeof value === 'number' && value >= 0) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, ns: 1e-9 };
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)];
    if (parts.length > 0 && parts.map((part) => part[0]).join('') === text) {
      return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]], 0);
    }
  }
  throw new InputError(`${where} must be a duration like "30s" or "1m30s", got ${show(value)}`);
}
