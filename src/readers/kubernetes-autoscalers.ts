/**
 * What scales a Kubernetes workload beyond its `replicas`: a
 * HorizontalPodAutoscaler (`spec.maxReplicas`) or a KEDA ScaledObject
 * (`spec.maxReplicaCount`, KEDA's default 100 when unset, counted and said in
 * a note). Any other object with a `spec.scaleTargetRef` that points at a
 * workload the budget counts is refused: the budget cannot know how far it
 * scales.
 *
 * An autoscaler without `metadata.namespace` lands in the namespace that
 * `kubectl apply -n` gives it, like a workload without one: it targets the
 * same-named workload whatever that workload's namespace, as long as exactly
 * one namespace holds one (several: refused, the target is ambiguous).
 */
import { InputError, integerAt, objectAt, show, stringAt } from './manifest-input.js';
import { SCALABLE_KINDS } from './kubernetes-workloads.js';

/** KEDA's `spec.maxReplicaCount` when a ScaledObject does not set it. */
const KEDA_DEFAULT_MAX_REPLICAS = 100;

/** An autoscaler as read, before it is matched with its workload. */
export interface Autoscaler {
  /** `HorizontalPodAutoscaler` or `ScaledObject`. */
  readonly kind: string;
  readonly name: string;
  /** `undefined` when the object has no `metadata.namespace`. */
  readonly namespace: string | undefined;
  readonly source: string;
  readonly targetKind: string;
  readonly targetName: string;
  readonly max: number;
}

/** A workload as the matching needs it. */
export interface ScaledWorkload {
  readonly kind: string;
  readonly name: string;
  /** `undefined` when the object has no `metadata.namespace`. */
  readonly namespace: string | undefined;
}

/** True for the kinds read as autoscalers: a HorizontalPodAutoscaler, a KEDA ScaledObject. */
export function isAutoscaler(kind: string, apiVersion: unknown): boolean {
  return (
    kind === 'HorizontalPodAutoscaler' ||
    (kind === 'ScaledObject' && typeof apiVersion === 'string' && apiVersion.startsWith('keda.sh/'))
  );
}

/**
 * Reads an autoscaler; `undefined` (with a note) when it scales a kind the
 * budget does not size.
 */
export function readAutoscaler(
  record: Record<string, unknown>,
  name: string,
  namespace: string | undefined,
  source: string,
  notes: string[],
): Autoscaler | undefined {
  const kind = String(record.kind);
  const where = `${source}: ${kind} "${name}"`;
  const spec = objectAt(record.spec, `${where} spec`);
  const target = objectAt(spec.scaleTargetRef, `${where} spec.scaleTargetRef`);
  const targetName = stringAt(target.name, `${where} spec.scaleTargetRef.name`);
  let max: number | undefined;
  let targetKind: unknown = target.kind;
  if (kind === 'ScaledObject') {
    // KEDA: kind defaults to Deployment, maxReplicaCount to 100.
    targetKind ??= 'Deployment';
    max = integerAt(spec.maxReplicaCount, `${where} spec.maxReplicaCount`, 1);
    if (max === undefined) {
      max = KEDA_DEFAULT_MAX_REPLICAS;
      notes.push(
        `${where} sets no spec.maxReplicaCount: counted at KEDA's default ${KEDA_DEFAULT_MAX_REPLICAS} replicas`,
      );
    }
  } else {
    max = integerAt(spec.maxReplicas, `${where} spec.maxReplicas`, 1);
    if (max === undefined)
      throw new InputError(`${where} spec.maxReplicas must be an integer >= 1, got nothing`);
  }
  if (typeof targetKind !== 'string' || !SCALABLE_KINDS.includes(targetKind)) {
    notes.push(`${where} scales ${show(targetKind)}, which the budget does not size: not checked`);
    return undefined;
  }
  return { kind, name, namespace, source, targetKind, targetName, max };
}

/**
 * The namespace an autoscaler's target is looked up in (`default` stands for
 * "none given", as in the workloads' keys): its own when a workload there
 * matches; else, when it has none, the one namespace that holds a workload of
 * that kind and name; when it has one, a workload without a namespace.
 * @throws InputError when an autoscaler without a namespace matches workloads in several namespaces.
 */
export function targetNamespace(autoscaler: Autoscaler, workloads: readonly ScaledWorkload[]): string {
  const own = autoscaler.namespace ?? 'default';
  const named = workloads.filter(
    (workload) => workload.kind === autoscaler.targetKind && workload.name === autoscaler.targetName,
  );
  if (named.some((workload) => (workload.namespace ?? 'default') === own)) return own;
  if (autoscaler.namespace !== undefined)
    return named.some((workload) => workload.namespace === undefined) ? 'default' : own;
  const namespaces = [...new Set(named.map((workload) => workload.namespace ?? 'default'))].sort();
  if (namespaces.length <= 1) return namespaces[0] ?? own;
  throw new InputError(
    `${autoscaler.source}: ${autoscaler.kind} "${autoscaler.name}" has no metadata.namespace and ` +
      `${autoscaler.targetKind} "${autoscaler.targetName}" is in ${namespaces.length} namespaces ` +
      `(${namespaces.join(', ')}): set metadata.namespace on the ${autoscaler.kind}, or check one namespace at a time`,
  );
}

/**
 * Refuses an object of another kind whose `spec.scaleTargetRef` names a
 * workload the budget counts: it may scale it past `replicas`, by how much the
 * budget cannot read.
 * @throws InputError naming the object and its target.
 */
export function refuseUnknownScaler(
  record: Record<string, unknown>,
  name: string,
  source: string,
  counted: readonly ScaledWorkload[],
): void {
  const spec = record.spec;
  if (typeof spec !== 'object' || spec === null) return;
  const target = (spec as { scaleTargetRef?: unknown }).scaleTargetRef;
  if (typeof target !== 'object' || target === null) return;
  const { kind, name: targetName } = target as { kind?: unknown; name?: unknown };
  const scaled = counted.find(
    (workload) => workload.name === targetName && (kind === undefined || workload.kind === kind),
  );
  if (scaled === undefined) return;
  throw new InputError(
    `${source}: ${String(record.kind)} "${name}" (${show(record.apiVersion)}) spec.scaleTargetRef scales ` +
      `${scaled.kind} "${scaled.name}", a database client, and the budget cannot read how far: ` +
      `give its maximum as a HorizontalPodAutoscaler (or KEDA ScaledObject) in the input instead`,
  );
}
