/**
 * A container's environment as the kubelet builds it (`envFrom` ConfigMaps
 * and Secrets, then `env`), with ConfigMaps and Secrets looked up among the
 * objects of the same input. A source the input does not hold is refused when
 * it could set a value the budget needs (a pool variable `env` does not set
 * itself, or DATABASE_URL when nothing else marks the container as a client).
 */
import { POOL_SHAPE_VARIABLES, TIMING_VARIABLES, type Environment } from 'clientats-runtime/contract';
import {
  environmentValue,
  InputError,
  objectAt,
  optionalObjectAt,
  show,
  stringAt,
} from './manifest-input.js';

/** Where `envFrom` and `valueFrom` read: a ConfigMap or a Secret of the input. */
export type EnvironmentSourceKind = 'ConfigMap' | 'Secret';

/** Looks up a ConfigMap's or Secret's data by name; `undefined` when the input does not hold it. */
export type EnvironmentLookup = (
  kind: EnvironmentSourceKind,
  name: string,
) => Record<string, unknown> | undefined;

/**
 * The container's environment: `envFrom` first, then `env` (which wins), as
 * the kubelet does. `notes` receives what an optional source not in the input
 * may change.
 */
export function containerEnvironment(
  container: Record<string, unknown>,
  lookup: EnvironmentLookup,
  where: string,
  notes: string[] = [],
): Environment {
  const environment: Record<string, string | undefined> = {};
  const envFrom = container.envFrom ?? [];
  if (!Array.isArray(envFrom)) throw new InputError(`${where} envFrom must be a list, got ${show(envFrom)}`);
  const env = container.env ?? [];
  if (!Array.isArray(env)) throw new InputError(`${where} env must be a list, got ${show(env)}`);
  const setByEnv = new Set(
    env.map((entry) => (entry as { name?: unknown } | null)?.name).filter((name) => typeof name === 'string'),
  );
  for (const [index, entry] of envFrom.entries()) {
    const source = objectAt(entry, `${where} envFrom[${index}]`);
    const configMapRef = optionalObjectAt(source.configMapRef, `${where} envFrom[${index}].configMapRef`);
    const secretRef = optionalObjectAt(source.secretRef, `${where} envFrom[${index}].secretRef`);
    const ref = configMapRef ?? secretRef;
    if (ref === undefined) continue;
    const kind: EnvironmentSourceKind = configMapRef === undefined ? 'Secret' : 'ConfigMap';
    const field = kind === 'ConfigMap' ? 'configMapRef' : 'secretRef';
    const mapName = stringAt(ref.name, `${where} envFrom[${index}].${field}.name`);
    const data = lookup(kind, mapName);
    if (data === undefined) {
      const unset = POOL_SHAPE_VARIABLES.filter((name) => !setByEnv.has(name));
      if (unset.length === 0) continue; // env sets every pool variable, and env wins
      if (ref.optional === true) {
        notes.push(
          `${where} envFrom ${kind} "${mapName}" (optional) is not in the input: counted without it; ` +
            `if it exists and sets ${listed(unset)}, the count is off`,
        );
        continue;
      }
      throw new InputError(
        `${where} envFrom ${kind} "${mapName}" is not in the input and may set ${unset.join(', ')} or DATABASE_URL: ` +
          `check it together with the file that defines it, or set ${listed(unset)} in env (env wins over envFrom)`,
      );
    }
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    for (const [key, value] of Object.entries(data))
      environment[`${prefix}${key}`] = environmentValue(value, `${kind} "${mapName}" ${key}`);
  }
  for (const [index, entry] of env.entries()) {
    const variable = objectAt(entry, `${where} env[${index}]`);
    const name = stringAt(variable.name, `${where} env[${index}].name`);
    if (variable.valueFrom === undefined || variable.valueFrom === null) {
      environment[name] = environmentValue(variable.value, `${where} env ${name}`) ?? '';
      continue;
    }
    const from = objectAt(variable.valueFrom, `${where} env ${name} valueFrom`);
    const configMapRef = optionalObjectAt(
      from.configMapKeyRef,
      `${where} env ${name} valueFrom.configMapKeyRef`,
    );
    const secretRef = optionalObjectAt(from.secretKeyRef, `${where} env ${name} valueFrom.secretKeyRef`);
    const value =
      configMapRef !== undefined
        ? lookup('ConfigMap', String(configMapRef.name))?.[String(configMapRef.key)]
        : secretRef !== undefined
          ? lookup('Secret', String(secretRef.name))?.[String(secretRef.key)]
          : undefined;
    if (value !== undefined) {
      environment[name] = environmentValue(value, `${where} env ${name}`);
    } else if (name.startsWith('POOL_') || name === 'MAX_OVERFLOW' || TIMED.has(name)) {
      throw new InputError(
        `${where} env ${name} comes from ${show(from)}, which is not in the input: ` +
          'the budget needs its value (use a literal value or include the ConfigMap)',
      );
    } else {
      // A secret reference (DATABASE_URL from a Secret): present, value unknown and not needed.
      environment[name] = '';
    }
  }
  return environment;
}

/** `A`, `A and B`, `A, B and C`. */
function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The timing variables, checked against the probes: a source that may set them must be read. */
const TIMED: ReadonlySet<string> = new Set(TIMING_VARIABLES);

/** An object found under `namespace/name` in a file. */
export interface Located<T> {
  readonly key: string;
  readonly file: string;
  readonly source: string;
  readonly value: T;
}

export function fileOf(source: string): string {
  return source.replace(/#\d+$/, '');
}

/**
 * The object a Deployment uses: the one in its own file, else the only one in
 * another file that has no Deployment of the same name (each synthesized
 * environment is one file, and environments reuse names).
 */
export function belonging<T>(
  candidates: readonly Located<T>[],
  key: string,
  file: string,
  deployments: readonly { key: string; file: string }[],
  where: string,
  kind: string,
): Located<T> | undefined {
  const matching = candidates.filter((candidate) => candidate.key === key);
  const own = matching.find((candidate) => candidate.file === file);
  if (own !== undefined) return own;
  const elsewhere = matching.filter(
    (candidate) =>
      !deployments.some((deployment) => deployment.key === key && deployment.file === candidate.file),
  );
  if (elsewhere.length > 1) {
    throw new InputError(
      `${where}: found ${elsewhere.length} ${kind}s for "${key.split('/')[1]}" in ` +
        `${elsewhere.map((candidate) => candidate.file).join(', ')}: check one environment at a time`,
    );
  }
  return elsewhere[0];
}
