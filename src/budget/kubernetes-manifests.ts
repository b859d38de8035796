/**
 * Budget consumers from Kubernetes objects (hand-written or synthesized):
 * Deployments whose containers run the runtime (their POOL_* env, literal or
 * from ConfigMaps in the same input), the HorizontalPodAutoscaler that targets
 * each one, the rollout strategy, the readiness probe and the grace period.
 */
import type { Environment } from 'clientats-runtime/contract';
import type { KubernetesConsumer, RolloutStrategy } from './budget-types.js';
import {
  environmentValue, InputError, integerAt, isDatabaseClient, objectAt, optionalObjectAt, poolShapeOf, show, stringAt,
  withoutSecrets, type ManifestFindings,
} from './manifest-input.js';

/** One parsed object and the file it came from. */
export interface SourcedObject {
  readonly object: unknown;
  /** `file.yaml` or `file.yaml#3` (document index), for messages. */
  readonly source: string;
}

/** Kubernetes defaults the API server fills in. */
const DEFAULT_GRACE_SECONDS = 30;
const DEFAULT_PROBE_TIMEOUT_SECONDS = 1;

/** True when the object looks like a Kubernetes object (has `apiVersion` and `kind`). */
export function isKubernetesObject(object: unknown): boolean {
  return typeof object === 'object' && object !== null && 'apiVersion' in object && 'kind' in object;
}

/** Reads every Deployment (with its HPA and ConfigMaps) among the objects. */
export function readKubernetesObjects(objects: readonly SourcedObject[]): ManifestFindings {
  const findings: ManifestFindings = { consumers: [], timing: [], notes: [] };
  const configMaps: Located<Record<string, unknown>>[] = [];
  const autoscalers: Located<number>[] = [];
  const deployments: { object: Record<string, unknown>; source: string }[] = [];
  for (const { object, source } of objects) {
    const record = objectAt(object, source);
    const kind = record.kind;
    const metadata = optionalObjectAt(record.metadata, `${source}: ${String(kind)} metadata`) ?? {};
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    if (kind === 'ConfigMap') {
      const name = stringAt(metadata.name, `${source}: ConfigMap metadata.name`);
      configMaps.push({ key: `${namespace}/${name}`, file: fileOf(source), source, value: optionalObjectAt(record.data, `${source}: ConfigMap "${name}" data`) ?? {} });
    } else if (kind === 'HorizontalPodAutoscaler') {
      const name = stringAt(metadata.name, `${source}: HorizontalPodAutoscaler metadata.name`);
      const where = `${source}: HorizontalPodAutoscaler "${name}"`;
      const spec = objectAt(record.spec, `${where} spec`);
      const target = objectAt(spec.scaleTargetRef, `${where} spec.scaleTargetRef`);
      const max = integerAt(spec.maxReplicas, `${where} spec.maxReplicas`, 1);
      if (max === undefined) throw new InputError(`${where} spec.maxReplicas must be an integer >= 1, got nothing`);
      if (target.kind !== 'Deployment') {
        findings.notes.push(`${where} scales ${show(target.kind)}, not a Deployment: not checked`);
        continue;
      }
      autoscalers.push({ key: `${namespace}/${stringAt(target.name, `${where} spec.scaleTargetRef.name`)}`, file: fileOf(source), source, value: max });
    } else if (kind === 'Deployment') {
      deployments.push({ object: record, source });
    }
  }
  const deploymentFiles = deployments.map(({ object, source }) => {
    const metadata = optionalObjectAt(object.metadata, `${source}: Deployment metadata`) ?? {};
    return { key: `${typeof metadata.namespace === 'string' ? metadata.namespace : 'default'}/${String(metadata.name)}`, file: fileOf(source) };
  });
  const used = new Set<Located<number>>();
  for (const { object, source } of deployments) {
    const metadata = objectAt(object.metadata, `${source}: Deployment metadata`);
    const name = stringAt(metadata.name, `${source}: Deployment metadata.name`);
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    const where = `${source}: Deployment "${name}"`;
    const spec = objectAt(object.spec, `${where} spec`);
    const replicas = integerAt(spec.replicas, `${where} spec.replicas`) ?? 1;
    const strategy = strategyOf(spec.strategy, where);
    const podSpec = objectAt(objectAt(spec.template, `${where} spec.template`).spec, `${where} spec.template.spec`);
    const grace = integerAt(podSpec.terminationGracePeriodSeconds, `${where} spec.template.spec.terminationGracePeriodSeconds`) ?? DEFAULT_GRACE_SECONDS;
    const containers = podSpec.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new InputError(`${where} spec.template.spec.containers must be a non-empty list, got ${show(containers)}`);
    }
    const hpa = belonging(autoscalers, `${namespace}/${name}`, fileOf(source), deploymentFiles, where, 'HorizontalPodAutoscaler');
    if (hpa !== undefined) used.add(hpa);
    const clients = containers
      .map((container, index) => {
        const record = objectAt(container, `${where} container ${index}`);
        const containerName = typeof record.name === 'string' ? record.name : String(index);
        const containerWhere = `${where} container "${containerName}"`;
        const configMap = (mapName: string): Record<string, unknown> | undefined =>
          belonging(configMaps, `${namespace}/${mapName}`, fileOf(source), [], containerWhere, 'ConfigMap')?.value;
        return { record, containerName, containerWhere, environment: containerEnvironment(record, configMap, containerWhere) };
      })
      .filter((container) => isDatabaseClient(container.environment));
    if (clients.length === 0) {
      findings.notes.push(`${where} sets no POOL_* or DATABASE_URL: not a database client`);
      continue;
    }
    for (const client of clients) {
      const consumerName = clients.length === 1 ? name : `${name}/${client.containerName}`;
      const consumer: KubernetesConsumer = {
        kind: 'kubernetes',
        name: consumerName,
        source,
        replicas,
        ...(hpa === undefined ? {} : { hpaMaxReplicas: hpa.value }),
        strategy,
        pool: poolShapeOf(client.environment, client.containerWhere),
      };
      findings.consumers.push(consumer);
      const probe = optionalObjectAt(client.record.readinessProbe, `${client.containerWhere} readinessProbe`);
      findings.timing.push({
        name: consumerName,
        source,
        environment: withoutSecrets(client.environment),
        ...(probe === undefined ? {} : {
          readinessProbeTimeoutSeconds: integerAt(probe.timeoutSeconds, `${client.containerWhere} readinessProbe.timeoutSeconds`, 1) ?? DEFAULT_PROBE_TIMEOUT_SECONDS,
        }),
        gracePeriodSeconds: grace,
        gracePeriodField: 'terminationGracePeriodSeconds',
      });
    }
  }
  for (const autoscaler of autoscalers) {
    if (!used.has(autoscaler)) findings.notes.push(`${autoscaler.source}: HorizontalPodAutoscaler targets Deployment "${autoscaler.key.split('/')[1]}", which is not in the input`);
  }
  return findings;
}

function strategyOf(value: unknown, where: string): RolloutStrategy {
  const strategy = optionalObjectAt(value, `${where} spec.strategy`);
  const type = strategy?.type ?? 'RollingUpdate';
  if (type === 'Recreate') return { type: 'Recreate' };
  if (type !== 'RollingUpdate') throw new InputError(`${where} spec.strategy.type must be RollingUpdate or Recreate, got ${show(type)}`);
  const rolling = optionalObjectAt(strategy?.rollingUpdate, `${where} spec.strategy.rollingUpdate`) ?? {};
  const intOrPercent = (field: string): number | string | undefined => {
    const raw = rolling[field];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
    if (typeof raw === 'string' && /^\d+%$/.test(raw)) return raw;
    throw new InputError(`${where} spec.strategy.rollingUpdate.${field} must be an integer >= 0 or a percentage like "25%", got ${show(raw)}`);
  };
  const maxSurge = intOrPercent('maxSurge');
  const maxUnavailable = intOrPercent('maxUnavailable');
  return {
    type: 'RollingUpdate',
    ...(maxSurge === undefined ? {} : { maxSurge }),
    ...(maxUnavailable === undefined ? {} : { maxUnavailable }),
  };
}

/** The container's environment: `envFrom` ConfigMaps first, then `env` (which wins), as the kubelet does. */
function containerEnvironment(
  container: Record<string, unknown>, configMap: (name: string) => Record<string, unknown> | undefined, where: string,
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
      throw new InputError(`${where} envFrom ConfigMap "${mapName}" is not in the input: check it together with the file that defines it`);
    }
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    for (const [key, value] of Object.entries(data)) environment[`${prefix}${key}`] = environmentValue(value, `ConfigMap "${mapName}" ${key}`);
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
      throw new InputError(`${where} env ${name} comes from ${show(from)}, which is not in the input: the budget needs its value (use a literal value or include the ConfigMap)`);
    } else {
      // A secret reference (DATABASE_URL from a Secret): present, value unknown and not needed.
      environment[name] = '';
    }
  }
  return environment;
}

const TIMING = ['READINESS_TIMEOUT_MS', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_DRAIN_MS'];

/** An object found under `namespace/name` in a file. */
interface Located<T> {
  readonly key: string;
  readonly file: string;
  readonly source: string;
  readonly value: T;
}

function fileOf(source: string): string {
  return source.replace(/#\d+$/, '');
}

/**
 * The object a Deployment uses: the one in its own file, else the only one in
 * another file that has no Deployment of the same name (each synthesized
 * environment is one file, and environments reuse names).
 */
function belonging<T>(
  candidates: readonly Located<T>[], key: string, file: string, deployments: readonly { key: string; file: string }[], where: string, kind: string,
): Located<T> | undefined {
  const matching = candidates.filter((candidate) => candidate.key === key);
  const own = matching.find((candidate) => candidate.file === file);
  if (own !== undefined) return own;
  const elsewhere = matching.filter((candidate) => !deployments.some((deployment) => deployment.key === key && deployment.file === candidate.file));
  if (elsewhere.length > 1) {
    throw new InputError(`${where}: found ${elsewhere.length} ${kind}s for "${key.split('/')[1]}" in ${elsewhere.map((candidate) => candidate.file).join(', ')}: check one environment at a time`);
  }
  return elsewhere[0];
}
