/**
 * How many pods each Kubernetes workload kind runs, read from its spec, and
 * where its pod spec sits:
 * - Deployment: `replicas` (1 when unset), RollingUpdate surge or Recreate;
 * - StatefulSet: `replicas`; its pods are replaced one by one, the old pod
 *   gone before its successor (same identity) starts, so it never surges;
 * - ReplicaSet, ReplicationController: `replicas`, no rollout of their own;
 * - DaemonSet: one pod per node (`--nodes N`), plus `rollingUpdate.maxSurge`
 *   (default 0) during an update;
 * - Pod: 1;
 * - Job: `parallelism` (default 1), at most `completions`;
 * - CronJob: the job template's parallelism; runs may overlap unless
 *   `concurrencyPolicy: Forbid` (assumed: at most two runs at once, the next
 *   starting before the previous one has finished; `Replace` also overlaps
 *   while the replaced run's pods terminate).
 */
import type { KubernetesConsumer, RolloutStrategy, WorkloadKind } from '../budget/budget-types.js';
import { InputError, integerAt, objectAt, optionalObjectAt, show } from './manifest-input.js';

/** Kinds that run pods, in the order messages list them. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = [
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'DaemonSet',
  'Pod',
  'Job',
  'CronJob',
];

/** Kinds a HorizontalPodAutoscaler can scale. */
export const SCALABLE_KINDS: readonly string[] = [
  'Deployment',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
];

/** Options of the workload readers. */
export interface WorkloadOptions {
  /** Nodes a DaemonSet runs on (`--nodes N`). @default unknown: a DaemonSet that connects is an error */
  readonly nodes?: number;
}

/** What the consumer takes from its workload's spec. */
export type WorkloadInstances = Pick<
  KubernetesConsumer,
  'workload' | 'replicas' | 'strategy' | 'overlappingRuns'
>;

/** The parts of a workload the reader needs. */
export interface WorkloadShape {
  readonly podSpec: Record<string, unknown>;
  /** `spec.template.spec`, for messages. */
  readonly podSpecPath: string;
  /** The workload's annotations with its pod template's over them. */
  readonly annotations: Record<string, unknown>;
  readonly instances: WorkloadInstances;
  /** A DaemonSet without `--nodes`: an error if (and only if) it connects to the database. */
  readonly nodesMissing: boolean;
}

/** True for the kinds of `WORKLOAD_KINDS`. */
export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/** Reads a workload's pod spec and instance counts. */
export function workloadShape(
  kind: WorkloadKind,
  object: Record<string, unknown>,
  where: string,
  options: WorkloadOptions,
): WorkloadShape {
  const own = annotationsOf(object.metadata, `${where} metadata`);
  if (kind === 'Pod') {
    const podSpec = objectAt(object.spec, `${where} spec`);
    return {
      podSpec,
      podSpecPath: 'spec',
      annotations: own,
      instances: { workload: kind, replicas: 1 },
      nodesMissing: false,
    };
  }
  const spec = objectAt(object.spec, `${where} spec`);
  if (kind === 'CronJob') {
    const jobTemplate = objectAt(spec.jobTemplate, `${where} spec.jobTemplate`);
    const jobSpec = objectAt(jobTemplate.spec, `${where} spec.jobTemplate.spec`);
    const template = objectAt(jobSpec.template, `${where} spec.jobTemplate.spec.template`);
    const policy = spec.concurrencyPolicy ?? 'Allow';
    if (!['Allow', 'Forbid', 'Replace'].includes(String(policy))) {
      throw new InputError(
        `${where} spec.concurrencyPolicy must be Allow, Forbid or Replace, got ${show(policy)}`,
      );
    }
    return {
      podSpec: objectAt(template.spec, `${where} spec.jobTemplate.spec.template.spec`),
      podSpecPath: 'spec.jobTemplate.spec.template.spec',
      annotations: {
        ...own,
        ...annotationsOf(template.metadata, `${where} spec.jobTemplate.spec.template.metadata`),
      },
      instances: {
        workload: kind,
        replicas: jobParallelism(jobSpec, `${where} spec.jobTemplate.spec`),
        overlappingRuns: policy !== 'Forbid',
      },
      nodesMissing: false,
    };
  }
  const template = objectAt(spec.template, `${where} spec.template`);
  const shape = {
    podSpec: objectAt(template.spec, `${where} spec.template.spec`),
    podSpecPath: 'spec.template.spec',
    annotations: { ...own, ...annotationsOf(template.metadata, `${where} spec.template.metadata`) },
    nodesMissing: false,
  };
  switch (kind) {
    case 'Job':
      return { ...shape, instances: { workload: kind, replicas: jobParallelism(spec, `${where} spec`) } };
    case 'DaemonSet':
      return {
        ...shape,
        instances: {
          workload: kind,
          replicas: options.nodes ?? 0,
          strategy: daemonSetStrategy(spec.updateStrategy, where),
        },
        nodesMissing: options.nodes === undefined,
      };
    case 'Deployment':
      return {
        ...shape,
        instances: {
          workload: kind,
          replicas: integerAt(spec.replicas, `${where} spec.replicas`) ?? 1,
          strategy: deploymentStrategy(spec.strategy, where),
        },
      };
    default:
      return {
        ...shape,
        instances: { workload: kind, replicas: integerAt(spec.replicas, `${where} spec.replicas`) ?? 1 },
      };
  }
}

function jobParallelism(spec: Record<string, unknown>, where: string): number {
  const parallelism = integerAt(spec.parallelism, `${where}.parallelism`) ?? 1;
  const completions = integerAt(spec.completions, `${where}.completions`);
  return completions === undefined ? parallelism : Math.min(parallelism, completions);
}

function annotationsOf(metadata: unknown, where: string): Record<string, unknown> {
  const record = optionalObjectAt(metadata, where);
  return optionalObjectAt(record?.annotations, `${where}.annotations`) ?? {};
}

function deploymentStrategy(value: unknown, where: string): RolloutStrategy {
  const strategy = optionalObjectAt(value, `${where} spec.strategy`);
  const type = strategy?.type ?? 'RollingUpdate';
  if (type === 'Recreate') return { type: 'Recreate' };
  if (type !== 'RollingUpdate') {
    throw new InputError(`${where} spec.strategy.type must be RollingUpdate or Recreate, got ${show(type)}`);
  }
  return rollingBounds(strategy?.rollingUpdate, `${where} spec.strategy.rollingUpdate`, {});
}

/** DaemonSet updates: RollingUpdate with maxSurge 0 and maxUnavailable 1 unless set; OnDelete never surges. */
function daemonSetStrategy(value: unknown, where: string): RolloutStrategy {
  const strategy = optionalObjectAt(value, `${where} spec.updateStrategy`);
  const type = strategy?.type ?? 'RollingUpdate';
  if (type === 'OnDelete') return { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 };
  if (type !== 'RollingUpdate') {
    throw new InputError(
      `${where} spec.updateStrategy.type must be RollingUpdate or OnDelete, got ${show(type)}`,
    );
  }
  return rollingBounds(strategy?.rollingUpdate, `${where} spec.updateStrategy.rollingUpdate`, {
    maxSurge: 0,
    maxUnavailable: 1,
  });
}

function rollingBounds(
  value: unknown,
  where: string,
  defaults: { maxSurge?: number; maxUnavailable?: number },
): RolloutStrategy {
  const rolling = optionalObjectAt(value, where) ?? {};
  const intOrPercent = (field: 'maxSurge' | 'maxUnavailable'): number | string | undefined => {
    const raw = rolling[field];
    if (raw === undefined || raw === null) return defaults[field];
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
    if (typeof raw === 'string' && /^\d+%$/.test(raw)) return raw;
    throw new InputError(
      `${where}.${field} must be an integer >= 0 or a percentage like "25%", got ${show(raw)}`,
    );
  };
  const maxSurge = intOrPercent('maxSurge');
  const maxUnavailable = intOrPercent('maxUnavailable');
  return {
    type: 'RollingUpdate',
    ...(maxSurge === undefined ? {} : { maxSurge }),
    ...(maxUnavailable === undefined ? {} : { maxUnavailable }),
  };
}
