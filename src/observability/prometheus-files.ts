/**
 * What a team loads into its own Prometheus for a Compose or Heroku
 * environment: a rule file with the environment's alerts and a
 * `scrape_configs` entry that adds the same `environment` and `database`
 * labels the Kubernetes PodMonitor adds, so the same rules work everywhere.
 *
 * Heroku: the router sends each scrape of `https://<app>/metrics` to one dyno
 * at random, so per-process gauges and counters jump between dynos there. The
 * snippet is still the way to see the environment, but the per-instance and
 * rate-based alerts are only as good as that sampling (see the README).
 */
import { stringify } from 'yaml';
import { HEALTH_PATHS } from 'clientats-runtime/contract';
import { alertRuleGroups, checkNames, type RuleGroup } from './alert-rules.js';
import { DATABASE_LABEL, ENVIRONMENT_LABEL } from './metric-names.js';
import type { EnvironmentObservability } from './observability-input.js';

/** Where Prometheus finds the environment's processes: fixed targets or a DNS name resolving to every instance. */
export type ScrapeTargets =
  | { readonly targets: readonly string[]; readonly scheme?: 'http' | 'https' }
  | { readonly dnsName: string; readonly port: number };

/** A Prometheus rule file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** One `scrape_configs` entry. */
export interface ScrapeJob {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly scrape_interval: string;
  readonly scheme?: 'http' | 'https';
  readonly static_configs?: readonly { readonly targets: readonly string[] }[];
  readonly dns_sd_configs?: readonly {
    readonly names: readonly string[];
    readonly type: 'A';
    readonly port: number;
  }[];
  readonly relabel_configs: readonly { readonly target_label: string; readonly replacement: string }[];
}

/** The environment's alerts as a rule file (`rule_files:` in prometheus.yml). */
export function ruleFile(input: EnvironmentObservability): RuleFile {
  return { groups: alertRuleGroups(input) };
}

/**
 * The scrape job of an environment.
 * @throws Error when there is no target, or an environment or database name is not a DNS label.
 */
export function scrapeJob(
  input: EnvironmentObservability,
  where: ScrapeTargets,
  interval = '15s',
): ScrapeJob {
  checkNames(input);
  const discovery =
    'dnsName' in where
      ? { dns_sd_configs: [{ names: [where.dnsName], type: 'A' as const, port: where.port }] }
      : {
          ...(where.scheme === undefined ? {} : { scheme: where.scheme }),
          static_configs: [{ targets: [...where.targets] }],
        };
  if (!('dnsName' in where) && where.targets.length === 0) {
    throw new Error(
      `scrape targets of environment '${input.environment}' must list at least one host:port, got none`,
    );
  }
  return {
    job_name: `clientats-${input.environment}`,
    metrics_path: HEALTH_PATHS.metrics,
    scrape_interval: interval,
    ...discovery,
    relabel_configs: [
      { target_label: ENVIRONMENT_LABEL, replacement: input.environment },
      { target_label: DATABASE_LABEL, replacement: input.budget.database },
    ],
  };
}

/** YAML text of a rule file or of `{ scrape_configs: [...] }`, after a comment header saying where it goes. */
export function prometheusYaml(
  content: RuleFile | { readonly scrape_configs: readonly ScrapeJob[] },
  header: string,
): string {
  const comment = header
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
  return `${comment}\n${stringify(content, { lineWidth: 0 })}`;
}
