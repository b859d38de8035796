/**
 * Budget consumers from Kubernetes objects (hand-written or synthesized).
 * Every kind that runs pods is counted or refused, never skipped: Deployment,
 * StatefulSet, ReplicaSet, ReplicationController, DaemonSet (with a node
 * count), Pod, Job and CronJob (see `kubernetes-workloads.ts` for how each is
 * sized). Their containers' POOL_* env (literal, or from ConfigMaps and
 * Secrets in the same input), the HorizontalPodAutoscaler or KEDA ScaledObject
 * that targets a scalable one (see `kubernetes-autoscalers.ts`), the
 * readiness probe and the grace period are read. Any other object whose
 * containers connect to the database is an error naming it.
 */
import type { KubernetesConsumer, WorkloadKind } from '../budget/budget-types.js';
import {
  isAutoscaler,
  readAutoscaler,
  refuseUnknownScaler,
  targetNamespace,
  type Autoscaler,
} from './kubernetes-autoscalers.js';
import {
  belonging,
  containerEnvironment,
  fileOf,
  type EnvironmentLookup,
  type Located,
} from './container-environment.js';
import {
  InputError,
  integerAt,
  isDatabaseClient,
  objectAt,
  optionalObjectAt,
  poolShapeOf,
  RUNTIME_ANNOTATION,
  runsRuntime,
  show,
  stringAt,
  withoutSecrets,
  type ManifestFindings,
} from './manifest-input.js';
import {
  isWorkloadKind,
  SCALABLE_KINDS,
  WORKLOAD_KINDS,
  workloadShape,
  type WorkloadOptions,
} from './kubernetes-workloads.js';

/** One parsed object and the file it came from. */
export interface SourcedObject {
  readonly object: unknown;
  /** `file.yaml` or `file.yaml#3` (document index), for messages. */
  readonly source: string;
}

/** Options of `readKubernetesObjects`. */
export type KubernetesReadOptions = WorkloadOptions;

/** Kubernetes defaults the API server fills in. */
const DEFAULT_GRACE_SECONDS = 30;
const DEFAULT_PROBE_TIMEOUT_SECONDS = 1;

/** True when the object looks like a Kubernetes object (has `apiVersion` and `kind`). */
export function isKubernetesObject(object: unknown): boolean {
  return typeof object === 'object' && object !== null && 'apiVersion' in object && 'kind' in object;
}

interface Workload<Kind extends string = WorkloadKind> {
  readonly kind: Kind;
  readonly object: Record<string, unknown>;
  readonly source: string;
  readonly key: string;
  readonly name: string;
  /** `undefined` when the object has no `metadata.namespace` (`key` then says `default`). */
  readonly namespace: string | undefined;
}

/** ConfigMaps and Secrets of the input, by `namespace/name`, their data as strings. */
export interface EnvironmentSources {
  readonly configMaps: readonly Located<Record<string, unknown>>[];
  readonly secrets: readonly Located<Record<string, unknown>>[];
}

/** Reads every workload (with its autoscaler, ConfigMaps and Secrets) among the objects. */
export function readKubernetesObjects(
  objects: readonly SourcedObject[],
  options: KubernetesReadOptions = {},
): ManifestFindings {
  const findings: ManifestFindings = { consumers: [], timing: [], notes: [], pooled: [] };
  const sources = {
    configMaps: [] as Located<Record<string, unknown>>[],
    secrets: [] as Located<Record<string, unknown>>[],
  };
  const autoscalers: Autoscaler[] = [];
  const workloads: Workload[] = [];
  const others: Workload<string>[] = [];
  for (const { object, source } of objects) {
    const record = objectAt(object, source);
    const kind = String(record.kind);
    const metadata = optionalObjectAt(record.metadata, `${source}: ${kind} metadata`) ?? {};
    const explicitNamespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
    const namespace = explicitNamespace ?? 'default';
    const autoscaler = isAutoscaler(kind, record.apiVersion);
    const counted = kind === 'ConfigMap' || kind === 'Secret' || autoscaler || isWorkloadKind(kind);
    // Objects the budget only scans for database clients may be unnamed (a List's leftovers, a template).
    const name =
      counted || metadata.name !== undefined
        ? stringAt(metadata.name, `${source}: ${kind} metadata.name`)
        : '?';
    const key = `${namespace}/${name}`;
    if (kind === 'ConfigMap') {
      const data = optionalObjectAt(record.data, `${source}: ConfigMap "${name}" data`) ?? {};
      sources.configMaps.push({ key, file: fileOf(source), source, value: data });
    } else if (kind === 'Secret') {
      sources.secrets.push({
        key,
        file: fileOf(source),
        source,
        value: secretData(record, `${source}: Secret "${name}"`),
      });
    } else if (autoscaler) {
      const read = readAutoscaler(record, name, explicitNamespace, source, findings.notes);
      if (read !== undefined) autoscalers.push(read);
    } else if (isWorkloadKind(kind)) {
      workloads.push({ kind, object: record, source, key, name, namespace: explicitNamespace });
    } else {
      others.push({ kind, object: record, source, key, name, namespace: explicitNamespace });
    }
  }
  const located = workloads.map((workload) => ({
    key: `${workload.kind}/${workload.key}`,
    file: fileOf(workload.source),
  }));
  const scalers: Located<Autoscaler>[] = autoscalers.map((autoscaler) => ({
    key: `${autoscaler.targetKind}/${targetNamespace(autoscaler, workloads)}/${autoscaler.targetName}`,
    file: fileOf(autoscaler.source),
    source: autoscaler.source,
    value: autoscaler,
  }));
  const used = new Set<Located<Autoscaler>>();
  const clients: Workload[] = [];
  for (const workload of workloads) {
    const where = `${workload.source}: ${workload.kind} "${workload.name}"`;
    const scaler = SCALABLE_KINDS.includes(workload.kind)
      ? belonging(
          scalers,
          `${workload.kind}/${workload.key}`,
          fileOf(workload.source),
          located,
          where,
          'autoscaler',
        )
      : undefined;
    if (scaler !== undefined) used.add(scaler);
    if (readWorkload(workload, where, scaler?.value.max, sources, options, findings)) clients.push(workload);
  }
  for (const other of others) {
    refuseUnknownScaler(other.object, other.name, other.source, clients);
    refuseIfClient(other, sources);
  }
  for (const { value: autoscaler } of scalers) {
    if ([...used].some((entry) => entry.value === autoscaler)) continue;
    findings.notes.push(
      `${autoscaler.source}: ${autoscaler.kind} targets ${autoscaler.targetKind} "` +
        `${autoscaler.targetName}", which is not in the input`,
    );
  }
  return findings;
}

/** A Secret's `data` (base64) and `stringData` (which wins, as the API server merges it). */
function secretData(record: Record<string, unknown>, where: string): Record<string, unknown> {
  const data = optionalObjectAt(record.data, `${where} data`) ?? {};
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    decoded[key] = typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value;
  }
  return { ...decoded, ...(optionalObjectAt(record.stringData, `${where} stringData`) ?? {}) };
}

function readWorkload(
  workload: Workload,
  where: string,
  hpaMax: number | undefined,
  sources: EnvironmentSources,
  options: KubernetesReadOptions,
  findings: ManifestFindings,
): boolean {
  const shape = workloadShape(workload.kind, workload.object, where, options);
  const namespace = workload.key.split('/')[0];
  const containers = shape.podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new InputError(
      `${where} ${shape.podSpecPath}.containers must be a non-empty list, got ${show(containers)}`,
    );
  }
  const sidecars = (Array.isArray(shape.podSpec.initContainers) ? shape.podSpec.initContainers : []).filter(
    (container) => (container as { restartPolicy?: unknown } | null)?.restartPolicy === 'Always',
  );
  const clients = [...containers, ...sidecars]
    .map((container, index) => {
      const record = objectAt(container, `${where} container ${index}`);
      const containerName = typeof record.name === 'string' ? record.name : String(index);
      const containerWhere = `${where} container "${containerName}"`;
      const lookup = lookupIn(sources, namespace, fileOf(workload.source), containerWhere);
      return {
        record,
        containerName,
        containerWhere,
        environment: containerEnvironment(record, lookup, containerWhere, findings.notes),
      };
    })
    .filter((container) => isDatabaseClient(container.environment));
  const initContainers = Array.isArray(shape.podSpec.initContainers) ? shape.podSpec.initContainers : [];
  for (const [index, container] of initContainers.entries()) {
    const record = objectAt(container, `${where} init container ${index}`);
    const initName = typeof record.name === 'string' ? record.name : String(index);
    const initWhere = `${where} init container "${initName}"`;
    // Not counted, so a source the input lacks is read as empty rather than refused.
    const lookup = lookupIn(sources, namespace, fileOf(workload.source), initWhere);
    const environment = containerEnvironment(record, (kind, name) => lookup(kind, name) ?? {}, initWhere);
    if (!isDatabaseClient(environment)) continue;
    // A native sidecar (restartPolicy Always) runs beside the app containers: counted with them above.
    if (record.restartPolicy === 'Always') continue;
    // It finishes before the app containers start, but may overlap the previous pods during a rollout.
    findings.notes.push(
      `${initWhere} connects to the database before the app starts: not counted, ` +
        'declare it as an other client if it overlaps',
    );
  }
  if (clients.length === 0) {
    findings.notes.push(`${where} sets no POOL_* or DATABASE_URL: not a database client`);
    return false;
  }
  if (shape.nodesMissing) {
    throw new InputError(
      `${where} runs one pod per node and connects to the database: give the node count with --nodes N`,
    );
  }
  const runtime = runsRuntime(
    shape.annotations[RUNTIME_ANNOTATION],
    `${where} annotation ${RUNTIME_ANNOTATION}`,
  );
  const grace =
    integerAt(
      shape.podSpec.terminationGracePeriodSeconds,
      `${where} ${shape.podSpecPath}.terminationGracePeriodSeconds`,
    ) ?? DEFAULT_GRACE_SECONDS;
  for (const client of clients) {
    const consumerName = clients.length === 1 ? workload.name : `${workload.name}/${client.containerName}`;
    const consumer: KubernetesConsumer = {
      kind: 'kubernetes',
      name: consumerName,
      source: workload.source,
      ...shape.instances,
      ...(hpaMax === undefined ? {} : { hpaMaxReplicas: hpaMax }),
      pool: poolShapeOf(client.environment, client.containerWhere),
      ...(runtime ? {} : { probeConnections: 0 }),
      ...(client.environment.DATABASE_POOLER === 'pgbouncer' ? { pooler: 'pgbouncer' as const } : {}),
    };
    findings.consumers.push(consumer);
    if (consumer.pooler !== undefined) {
      findings.pooled?.push({
        consumer,
        where: client.containerWhere,
        ...(workload.namespace === undefined ? {} : { namespace: workload.namespace }),
        url: client.environment.DATABASE_URL ?? '',
      });
    }
    // The timing checks compare the manifest with the runtime's own settings: nothing to compare otherwise.
    if (!runtime) continue;
    const probe = optionalObjectAt(client.record.readinessProbe, `${client.containerWhere} readinessProbe`);
    const probeWhere = `${client.containerWhere} readinessProbe.timeoutSeconds`;
    findings.timing.push({
      name: consumerName,
      source: workload.source,
      environment: withoutSecrets(client.environment),
      ...(probe === undefined
        ? {}
        : {
            readinessProbeTimeoutSeconds:
              integerAt(probe.timeoutSeconds, probeWhere, 1) ?? DEFAULT_PROBE_TIMEOUT_SECONDS,
          }),
      gracePeriodSeconds: grace,
      gracePeriodField: 'terminationGracePeriodSeconds',
    });
  }
  return true;
}

/** Finds a ConfigMap or Secret of the workload's namespace: in its own file first (see `belonging`). */
function lookupIn(
  sources: EnvironmentSources,
  namespace: string,
  file: string,
  where: string,
): EnvironmentLookup {
  return (kind, name) =>
    belonging(
      kind === 'ConfigMap' ? sources.configMaps : sources.secrets,
      `${namespace}/${name}`,
      file,
      [],
      where,
      kind,
    )?.value;
}

/**
 * An object of a kind the budget cannot size (an Argo Rollout, a Knative
 * Service, a custom resource) is fine unless it runs a container that connects
 * to the database: then counting nothing would be a false pass.
 */
function refuseIfClient(other: Workload<string>, sources: EnvironmentSources): void {
  const namespace = other.key.split('/')[0];
  for (const container of containersIn(other.object, 0)) {
    const where = `${other.source}: ${other.kind} "${other.name}"`;
    const containerName = typeof container.name === 'string' ? container.name : '?';
    let environment;
    try {
      environment = containerEnvironment(
        container,
        lookupIn(sources, namespace, fileOf(other.source), where),
        where,
      );
    } catch {
      // An environment the reader cannot even resolve still says the container is configured by env.
      environment = { DATABASE_URL: '' };
    }
    if (!isDatabaseClient(environment)) continue;
    throw new InputError(
      `${where} container "${containerName}" connects to the database, ` +
        `but the budget cannot count the pods of a ${other.kind}:` +
        ` check the ${WORKLOAD_KINDS.join(', ')} it renders to instead`,
    );
  }
}

/** Every `containers` / `initContainers` entry anywhere in an object (bounded depth). */
function containersIn(value: unknown, depth: number): Record<string, unknown>[] {
  if (depth > 12 || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item) => containersIn(item, depth + 1));
  const found: Record<string, unknown>[] = [];
  for (const [key, child] of Object.entries(value)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(child)) {
      found.push(
        ...child.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null),
      );
    } else {
      found.push(...containersIn(child, depth + 1));
    }
  }
  return found;
}
