/**
 * A container's environment as the kubelet builds it (`envFrom` ConfigMaps,
 * then `env`), with ConfigMaps looked up among the objects of the same input.
 */
import type { Environment } from 'clientats-runtime/contract';
import {
  environmentValue,
  InputError,
  objectAt,
  optionalObjectAt,
  show,
  stringAt,
} from './manifest-input.js';

/** The container's environment: `envFrom` ConfigMaps first, then `env` (which wins), as the kubelet does. */
export function containerEnvironment(
  container: Record<string, unknown>,
  configMap: (name: string) => Record<string, unknown> | undefined,
  where: string,
): Environment {
  const environment: Record<string, string | undefined> = {};
  const envFrom = container.envFrom ?? [];
  if (!Array.isArray(envFrom)) throw new InputError(`${where} envFrom must be a list, got ${show(envFrom)}`);
  for (const [index, entry] of envFrom.entries()) {
    const source = objectAt(entry, `${where} envFrom[${index}]`);
    const ref = optionalObjectAt(source.configMapRef, `${where} envFrom[${index}].configMapRef`);
    if (ref === undefined) continue;
    const mapName = stringAt(ref.name, `${where} envFrom[${index}].configMapRef.name`);
    const data = configMap(mapName);
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new InputError(
        `${where} envFrom ConfigMap "${mapName}" is not in the input: check it together with the file that defines it`,
      );
    }
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    for (const [key, value] of Object.entries(data))
      environment[`${prefix}${key}`] = environmentValue(value, `ConfigMap "${mapName}" ${key}`);
  }
  const env = container.env ?? [];
  if (!Array.isArray(env)) throw new InputError(`${where} env must be a list, got ${show(env)}`);
  for (const [index, entry] of env.entries()) {
    const variable = objectAt(entry, `${where} env[${index}]`);
    const name = stringAt(variable.name, `${where} env[${index}].name`);
    if (variable.valueFrom === undefined || variable.valueFrom === null) {
      environment[name] = environmentValue(variable.value, `${where} env ${name}`) ?? '';
      continue;
    }
    const from = objectAt(variable.valueFrom, `${where} env ${name} valueFrom`);
    const ref = optionalObjectAt(from.configMapKeyRef, `${where} env ${name} valueFrom.configMapKeyRef`);
    const value = ref === undefined ? undefined : configMap(String(ref.name))?.[String(ref.key)];
    if (value !== undefined) {
      environment[name] = environmentValue(value, `${where} env ${name}`);
    } else if (name.startsWith('POOL_') || name === 'MAX_OVERFLOW' || TIMING.includes(name)) {
      throw new InputError(
        `${where} env ${name} comes from ${show(from)}, which is not in the input: the budget needs its value (use a literal value or include the ConfigMap)`,
      );
    } else {
      // A secret reference (DATABASE_URL from a Secret): present, value unknown and not needed.
      environment[name] = '';
    }
  }
  return environment;
}

const TIMING = ['READINESS_TIMEOUT_MS', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_DRAIN_MS'];

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
      `${where}: found ${elsewhere.length} ${kind}s for "${key.split('/')[1]}" in ${elsewhere.map((candidate) => candidate.file).join(', ')}: check one environment at a time`,
    );
  }
  return elsewhere[0];
}
