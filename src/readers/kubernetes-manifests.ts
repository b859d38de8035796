/**
 * Budget consumers from Kubernetes objects (hand-written or synthesized).
 * Every kind that runs pods is counted or refused, never skipped: Deployment,
 * StatefulSet, ReplicaSet, ReplicationController, DaemonSet (with a node
 * count), Pod, Job and CronJob (see `kubernetes-workloads.ts` for how each is
 * sized). Their containers' POOL_* env (literal or from ConfigMaps in the same
 * input), the HorizontalPodAutoscaler that targets a scalable one, the
 * readiness probe and the grace period are read. Any other object whose
 * containers connect to the database is an error naming it.
 */
import type { KubernetesConsumer, WorkloadKind } from '../budget/budget-types.js';
import { belonging, containerEnvironment, fileOf, type Located } from './container-environment.js';
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
}

/** Reads every workload (with its HPA and ConfigMaps) among the objects. */
export function readKubernetesObjects(
  objects: readonly SourcedObject[],
  options: KubernetesReadOptions = {},
): ManifestFindings {
  const findings: ManifestFindings = { consumers: [], timing: [], notes: [] };
  const configMaps: Located<Record<string, unknown>>[] = [];
  const autoscalers: Located<number>[] = [];
  const workloads: Workload[] = [];
  const others: Workload<string>[] = [];
  for (const { object, source } of objects) {
    const record = objectAt(object, source);
    const kind = String(record.kind);
    const metadata = optionalObjectAt(record.metadata, `${source}: ${kind} metadata`) ?? {};
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    const counted = kind === 'ConfigMap' || kind === 'HorizontalPodAutoscaler' || isWorkloadKind(kind);
    // Objects the budget only scans for database clients may be unnamed (a List's leftovers, a template).
    const name =
      counted || metadata.name !== undefined
        ? stringAt(metadata.name, `${source}: ${kind} metadata.name`)
        : '?';
    const key = `${namespace}/${name}`;
    if (kind === 'ConfigMap') {
      const data = optionalObjectAt(record.data, `${source}: ConfigMap "${name}" data`) ?? {};
      configMaps.push({ key, file: fileOf(source), source, value: data });
    } else if (kind === 'HorizontalPodAutoscaler') {
      const where = `${source}: HorizontalPodAutoscaler "${name}"`;
      const spec = objectAt(record.spec, `${where} spec`);
      const target = objectAt(spec.scaleTargetRef, `${where} spec.scaleTargetRef`);
      const max = integerAt(spec.maxReplicas, `${where} spec.maxReplicas`, 1);
      if (max === undefined)
        throw new InputError(`${where} spec.maxReplicas must be an integer >= 1, got nothing`);
      const targetName = stringAt(target.name, `${where} spec.scaleTargetRef.name`);
      if (typeof target.kind !== 'string' || !SCALABLE_KINDS.includes(target.kind)) {
        findings.notes.push(
          `${where} scales ${show(target.kind)}, which the budget does not size: not checked`,
        );
        continue;
      }
      autoscalers.push({
        key: `${target.kind}/${namespace}/${targetName}`,
        file: fileOf(source),
        source,
        value: max,
      });
    } else if (isWorkloadKind(kind)) {
      workloads.push({ kind, object: record, source, key, name });
    } else {
      others.push({ kind, object: record, source, key, name });
    }
  }
  const located = workloads.map((workload) => ({
    key: `${workload.kind}/${workload.key}`,
    file: fileOf(workload.source),
  }));
  const used = new Set<Located<number>>();
  for (const workload of workloads) {
    const where = `${workload.source}: ${workload.kind} "${workload.name}"`;
    const hpa = SCALABLE_KINDS.includes(workload.kind)
      ? belonging(
          autoscalers,
          `${workload.kind}/${workload.key}`,
          fileOf(workload.source),
          located,
          where,
          'HorizontalPodAutoscaler',
        )
      : undefined;
    if (hpa !== undefined) used.add(hpa);
    readWorkload(workload, where, hpa?.value, configMaps, options, findings);
  }
  for (const other of others) refuseIfClient(other, configMaps);
  for (const autoscaler of autoscalers) {
    if (used.has(autoscaler)) continue;
    const [kind, , name] = autoscaler.key.split('/');
    findings.notes.push(
      `${autoscaler.source}: HorizontalPodAutoscaler targets ${kind} "${name}", which is not in the input`,
    );
  }
  return findings;
}

function readWorkload(
  workload: Workload,
  where: string,
  hpaMax: number | undefined,
  configMaps: readonly Located<Record<string, unknown>>[],
  options: KubernetesReadOptions,
  findings: ManifestFindings,
): void {
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
      const configMap = (mapName: string): Record<string, unknown> | undefined =>
        belonging(
          configMaps,
          `${namespace}/${mapName}`,
          fileOf(workload.source),
          [],
          containerWhere,
          'ConfigMap',
        )?.value;
      return {
        record,
        containerName,
        containerWhere,
        environment: containerEnvironment(record, configMap, containerWhere),
      };
    })
    .filter((container) => isDatabaseClient(container.environment));
  const initContainers = Array.isArray(shape.podSpec.initContainers) ? shape.podSpec.initContainers : [];
  for (const [index, container] of initContainers.entries()) {
    const record = objectAt(container, `${where} init container ${index}`);
    const initName = typeof record.name === 'string' ? record.name : String(index);
    const initWhere = `${where} init container "${initName}"`;
    const environment = containerEnvironment(
      record,
      (mapName) =>
        belonging(configMaps, `${namespace}/${mapName}`, fileOf(workload.source), [], initWhere, 'ConfigMap')
          ?.value,
      initWhere,
    );
    if (!isDatabaseClient(environment)) continue;
    // A native sidecar (restartPolicy Always) runs beside the app containers: counted with them above.
    if (record.restartPolicy === 'Always') continue;
    // It finishes before the app containers start, but may overlap the previous pods during a rollout.
    findings.notes.push(
      `${initWhere} connects to the database before the app starts: not counted, declare it as an other client if it overlaps`,
    );
  }
  if (clients.length === 0) {
    findings.notes.push(`${where} sets no POOL_* or DATABASE_URL: not a database client`);
    return;
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
}

/**
 * An object of a kind the budget cannot size (an Argo Rollout, a Knative
 * Service, a custom resource) is fine unless it runs a container that connects
 * to the database: then counting nothing would be a false pass.
 */
function refuseIfClient(
  other: Workload<string>,
  configMaps: readonly Located<Record<string, unknown>>[],
): void {
  const namespace = other.key.split('/')[0];
  for (const container of containersIn(other.object, 0)) {
    const where = `${other.source}: ${other.kind} "${other.name}"`;
    const containerName = typeof container.name === 'string' ? container.name : '?';
    let environment;
    try {
      environment = containerEnvironment(
        container,
        (mapName) =>
          belonging(configMaps, `${namespace}/${mapName}`, fileOf(other.source), [], where, 'ConfigMap')
            ?.value,
        where,
      );
    } catch {
      // An environment the reader cannot even resolve still says the container is configured by env.
      environment = { DATABASE_URL: '' };
    }
    if (!isDatabaseClient(environment)) continue;
    throw new InputError(
      `${where} container "${containerName}" connects to the database, but the budget cannot count the pods of a ${other.kind}:` +
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
