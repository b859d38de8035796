/**
 * Security rules for the workloads the generator writes, as plain checks over
 * Kubernetes objects (parsed YAML or `chart.toJson()`): credentials only from
 * Secret references, non-root, read-only root file system, no privilege
 * escalation, no added capabilities, no host namespaces. Each violation is one
 * line naming the object and the field.
 */
import { ENVIRONMENT_VARIABLES } from 'clientats-runtime/contract';

/** A Kubernetes object as parsed from YAML. */
export type KubernetesObject = {
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
} & Record<string, unknown>;

interface Container {
  name?: string;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
  }>;
  securityContext?: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
}

/** Variables that hold credentials: the contract's secret ones, and any name that says so. */
const SECRET_NAMES = new Set<string>(
  ENVIRONMENT_VARIABLES.filter((variable) => 'secret' in variable && variable.secret === true).map(
    (variable) => variable.name,
  ),
);
const SECRET_LOOKING = /(PASSWORD|TOKEN|SECRET|API_KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** `scheme://user:password@` with a real password (not the `***` mask). */
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s"'/@:]*:(?!\*\*\*@)[^\s"'/@]+@/i;

/** The pod template of a workload object, or `undefined` for other kinds. */
export function podSpecOf(object: KubernetesObject): PodSpec | undefined {
  const spec = object.spec as
    { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  if (object.kind === 'Pod') return object.spec as PodSpec;
  if (object.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  return spec?.template?.spec;
}

/** Every violation of the rules in one workload object; empty when it is not a workload or complies. */
export function podSecurityViolations(object: KubernetesObject): string[] {
  const pod = podSpecOf(object);
  if (pod === undefined) return [];
  const where = `${object.kind}/${object.metadata?.name ?? '?'}`;
  const violations: string[] = [];
  const podContext = pod.securityContext ?? {};
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[field] === true) violations.push(`${where}: ${field} is true`);
  }
  if (pod.automountServiceAccountToken !== false)
    violations.push(`${where}: automountServiceAccountToken is not false`);
  const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
  if (containers.length === 0) violations.push(`${where}: no containers`);
  for (const container of containers) {
    const at = `${where} container ${container.name ?? '?'}`;
    const context = container.securityContext ?? {};
    const effective = (field: string): unknown => context[field] ?? podContext[field];
    if (effective('runAsNonRoot') !== true) violations.push(`${at}: runAsNonRoot is not true`);
    if (effective('runAsUser') === 0) violations.push(`${at}: runAsUser is 0`);
    if (context.readOnlyRootFilesystem !== true) violations.push(`${at}: readOnlyRootFilesystem is not true`);
    if (context.allowPrivilegeEscalation !== false)
      violations.push(`${at}: allowPrivilegeEscalation is not false`);
    if (context.privileged === true) violations.push(`${at}: privileged is true`);
    if ((context.capabilities?.add ?? []).length > 0)
      violations.push(`${at}: adds capabilities ${JSON.stringify(context.capabilities?.add)}`);
    if (!(context.capabilities?.drop ?? []).includes('ALL'))
      violations.push(`${at}: does not drop ALL capabilities`);
    for (const variable of container.env ?? []) {
      const secretLike = SECRET_NAMES.has(variable.name) || SECRET_LOOKING.test(variable.name);
      if (secretLike && variable.valueFrom?.secretKeyRef === undefined) {
        violations.push(
          `${at}: ${variable.name} is not taken from a Secret (` +
            `${variable.value === undefined ? 'no secretKeyRef' : 'literal value'})`,
        );
      }
      if (variable.value !== undefined && URL_CREDENTIALS.test(variable.value))
        violations.push(`${at}: ${variable.name} holds a URL with credentials`);
    }
  }
  return violations;
}
