/**
 * Shared pieces of the manifest readers (Kubernetes, Compose, Heroku): what a
 * reader finds, the error for bad input, and small field readers whose errors
 * name the field, show the value and say what is allowed.
 */
import {
  loadSettings,
  POOL_SHAPE_VARIABLES,
  SettingsError,
  type Environment,
  type PoolShape,
} from 'clientats-runtime/contract';
import type { Consumer } from '../budget/budget-types.js';
import type { RuntimeTimingFacts } from '../budget/runtime-timing.js';

/** What a reader found in one file. */
export interface ManifestFindings {
  readonly consumers: Consumer[];
  readonly timing: RuntimeTimingFacts[];
  /** Things skipped on purpose (a Deployment that does not run the runtime, an HPA without target…). */
  readonly notes: string[];
  /** The consumers whose env says DATABASE_POOLER=pgbouncer, to be placed once the tiers are known. */
  readonly pooled?: PooledClient[];
}

/** A consumer whose env says DATABASE_POOLER=pgbouncer, and where its DATABASE_URL points. */
export interface PooledClient {
  readonly consumer: Consumer;
  /** `file: Deployment "x" container "app"`, for notes. */
  readonly where: string;
  /** The Kubernetes namespace it runs in (`undefined`: none given, or Compose). */
  readonly namespace?: string;
  /** DATABASE_URL as the process gets it; `''` when unknown (a Secret, a file, a variable). */
  readonly url: string;
}

/** Bad input (a malformed file, a wrong field): the CLI prints the message and exits 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * A plain `Error`, not a subclass such as `TypeError`: how the parsers, the budget arithmetic and cdk8s
 * refuse a value. A subclass (or a thrown non-error) is a bug, not bad input.
 */
export function isPlainError(error: unknown): error is Error {
  return error instanceof Error && Object.getPrototypeOf(error) === Error.prototype;
}

/**
 * Runs `read`, turning a refused value (a plain `Error`, see `isPlainError`, or the contract's
 * `SettingsError`) into a one-line `InputError` that keeps it as `cause`; an `InputError` and anything else
 * (a `TypeError`: a bug) are rethrown as they are.
 */
export function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isPlainError(error) || error instanceof SettingsError) {
      throw new InputError(error.message.split('\n').join('; '), { cause: error });
    }
    throw error;
  }
}

/**
 * The per-input way to say a consumer does not run clientats-runtime (an Ecto
 * app, a hand-written service): it holds no readiness connection, so it is
 * counted without the `+ 1 probe` and without the runtime's timing checks.
 * Kubernetes: this annotation on the workload or its pod template; Compose: the
 * label `dev.clientats.runtime`; app.json: `"clientats": { "runtime": false }`.
 */
export const RUNTIME_ANNOTATION = 'clientats.dev/runtime';
/** The Compose label with the meaning of `RUNTIME_ANNOTATION`. */
export const RUNTIME_LABEL = 'dev.clientats.runtime';

/** Reads a runtime marker: absent or `"true"` ⇒ runs the runtime, `"false"` ⇒ does not. */
export function runsRuntime(value: unknown, where: string): boolean {
  if (value === undefined || value === null || value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new InputError(`${where} must be "true" or "false", got ${show(value)}`);
}

/** Variables whose presence marks a process as a client of the database. */
const CLIENT_MARKERS = [...POOL_SHAPE_VARIABLES, 'DATABASE_URL', 'DATABASE_URL_FILE'];

/** True when the environment belongs to a runtime process that connects to the database. */
export function isDatabaseClient(environment: Environment): boolean {
  return CLIENT_MARKERS.some((name) => environment[name] !== undefined);
}

/**
 * POOL_SIZE / POOL_COUNT / MAX_OVERFLOW as the runtime reads them (defaults
 * included), through the contract's `loadSettings`.
 * @throws InputError `<where>: POOL_SIZE must be …, got "0"` (every bad variable).
 */
export function poolShapeOf(environment: Environment, where: string): PoolShape {
  try {
    const settings = loadSettings(
      Object.fromEntries(POOL_SHAPE_VARIABLES.map((name) => [name, environment[name]])),
    );
    return { poolSize: settings.poolSize, poolCount: settings.poolCount, maxOverflow: settings.maxOverflow };
  } catch (error) {
    if (error instanceof SettingsError) {
      throw new InputError(`${where}: ${error.problems.map((problem) => problem.message).join('; ')}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** A plain object, or an `InputError` saying what was found instead. */
export function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw new InputError(`${where} must be a mapping, got ${show(value)}`);
}

/** An optional plain object. */
export function optionalObjectAt(value: unknown, where: string): Record<string, unknown> | undefined {
  return value === undefined || value === null ? undefined : objectAt(value, where);
}

/**
 * An optional integer >= minimum. A quoted number (`replicas: "3"`) is refused
 * like any other non-integer: the API server and Compose reject it too.
 */
export function integerAt(value: unknown, where: string, minimum = 0): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum) return value;
  const hint =
    typeof value === 'string' && /^\s*\d+\s*$/.test(value)
      ? ` (a string: write ${value.trim()} without quotes)`
      : '';
  throw new InputError(`${where} must be an integer >= ${minimum}, got ${show(value)}${hint}`);
}

/** A non-empty string. */
export function stringAt(value: unknown, where: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new InputError(`${where} must be a non-empty string, got ${show(value)}`);
}

/** An environment value as the process would receive it: scalars become strings. */
export function environmentValue(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new InputError(`${where} must be a string, number or boolean, got ${show(value)}`);
}

/** A value for a message: JSON, cut at 80 characters. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** Secrets never reach a message: DATABASE_URL and tokens are dropped from environments kept for reports. */
export function withoutSecrets(environment: Environment): Environment {
  const kept: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (name === 'DATABASE_URL' || name === 'HEALTH_CHECK_TOKEN') continue;
    kept[name] = value;
  }
  return kept;
}
