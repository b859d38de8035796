/**
 * The container security context every generated workload runs with: the
 * Kubernetes "restricted" Pod Security profile (non-root, read-only root file
 * system, no privilege escalation, every capability dropped, the runtime's
 * default seccomp profile).
 */
import * as kplus from 'cdk8s-plus-28';

/** The restricted security context, running as `user` and `group`. */
export function restrictedSecurityContext(user: number, group: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user,
    group,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}
