/**
 * Prometheus alerting rules for one environment, with thresholds taken from
 * its settings (POOL_TIMEOUT, POOL_SIZE, the per-instance bound) and from the
 * connection budget (the environment's share, the database's usable count).
 * Plain objects in the shape of a Prometheus rule file's `groups`, used as
 * they are by the PrometheusRule and the rule files.
 *
 * Every alert says which environment, which bound and what to do, and links
 * the README section for it. `for:` is always longer than the rate window, so
 * a single event (one timeout, one failed connect) never fires an alert; only
 * `critical` alerts are meant to page.
 */
import { METRIC, DATABASE_LABEL, ENVIRONMENT_LABEL } from './metric-names.js';
import { resolveThresholds, type EnvironmentObservability } from './observability-input.js';
import { PGBOUNCER_ALERT_NAMES, pgbouncerRuleGroup } from './pgbouncer-alert-rules.js';
import { PGBOUNCER_LABEL } from './pgbouncer-metric-names.js';

/** One alerting rule, as a Prometheus rule file spells it. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  };
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertingRule[];
}

/** `critical` pages someone; `warning` goes to the team's channel; both need action. */
export type Severity = 'critical' | 'warning';

/** The alerts, in the order of the README's runbook. */
export const ALERT_NAMES = [
  'ClientatsCheckoutTimeoutsHigh',
  'ClientatsCheckoutTimeouts',
  'ClientatsCheckoutWaitNearTimeout',
  'ClientatsPoolSaturated',
  'ClientatsOverflowMostlyInUse',
  'ClientatsDatabaseUnreachable',
  'ClientatsReadinessFailing',
  'ClientatsConnectionErrors',
  'ClientatsNearBudgetedShare',
  'ClientatsDatabaseNearUsable',
  'ClientatsDatabaseAtUsable',
  'ClientatsMetricsMissing',
] as const;

/**
 * An environment behind a PgBouncer tier has, instead of the database alerts, one on the tier's client
 * side (its share is a client-side figure too); the tier's own alerts are `PGBOUNCER_ALERT_NAMES`.
 */
export const BOUNCED_ALERT_NAMES = ['ClientatsBouncerClientsNearCapacity'] as const;

export { PGBOUNCER_ALERT_NAMES };

/** The name of one alert. */
export type AlertName =
  | (typeof ALERT_NAMES)[number]
  | (typeof BOUNCED_ALERT_NAMES)[number]
  | (typeof PGBOUNCER_ALERT_NAMES)[number];

/** The README anchor of an alert's runbook section (GitHub's slug of a heading that is the alert's name). */
export function runbookAnchor(alert: AlertName): string {
  return alert.toLowerCase();
}

/** A label matcher with the value quoted as PromQL requires. */
export function matcher(label: string, value: string): string {
  return `${label}=${JSON.stringify(value)}`;
}

const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/** @throws Error when an environment or database name cannot be a Kubernetes name and a label value as it is. */
export function checkNames(
  input: Pick<EnvironmentObservability, 'environment' | 'service'> & { budget: { database: string } },
): void {
  const names = [
    ['environment', input.environment],
    ['service', input.service],
    ['budget.database', input.budget.database],
  ];
  for (const [field, value] of names as [string, string][]) {
    if (!NAME.test(value) || value.length > 63) {
      throw new Error(
        `observability ${field} must be a lowercase DNS label (a-z, 0-9, '-', '.'; at most 63), ` +
          `got ${JSON.stringify(value)}`,
      );
    }
  }
}

/** The alerting rules of one environment, as one group. */
export function alertRuleGroups(input: EnvironmentObservability): RuleGroup[] {
  checkNames(input);
  const thresholds = resolveThresholds(input.thresholds);
  const { environment, pool, budget } = input;
  const env = `{${matcher(ENVIRONMENT_LABEL, environment)}}`;
  const perPool = pool.poolSize + pool.maxOverflow;
  const poolBound = pool.poolCount * perPool;
  const timeoutSeconds = pool.poolTimeoutMillis / 1000;
  const waitThreshold = round(timeoutSeconds * thresholds.waitOfTimeout);
  const shareThreshold = Math.ceil(budget.share * thresholds.ofShare);
  const usableThreshold = Math.ceil(budget.usable * thresholds.ofUsable);
  const settings =
    `POOL_SIZE=${pool.poolSize} POOL_COUNT=${pool.poolCount} MAX_OVERFLOW=${pool.maxOverflow} ` +
    `POOL_TIMEOUT=${pool.poolTimeoutMillis}`;
  const where = 'instance {{ $labels.instance }}{{ with $labels.pod }} (pod {{ . }}){{ end }}';
  const unmeasuredTerm = budget.unmeasured > 0 ? ` + ${budget.unmeasured}` : '';
  // The apps behind a PgBouncer tier hold client connections to the bouncers, not to the database.
  const direct = budget.bounced === true ? `,${matcher(PGBOUNCER_LABEL, '')}` : '';
  const database = `sum(${METRIC.open}{${matcher(DATABASE_LABEL, budget.database)}${direct}})${unmeasuredTerm}`;
  const unmeasured =
    budget.unmeasured > 0
      ? ` (measured by every environment using it, plus ${budget.unmeasured} declared for clients without metrics)`
      : ' (summed over every environment using it)';
  // Database alerts carry no environment label, so every environment's copy of them is the same alert.
  const tier = budget.clientTier;
  const labelsOf = (severity: Severity, scope: Scope): Record<string, string> =>
    scope === 'environment'
      ? { severity, [ENVIRONMENT_LABEL]: environment, [DATABASE_LABEL]: budget.database }
      : scope === 'tier' && tier !== undefined
        ? { severity, [DATABASE_LABEL]: budget.database, [PGBOUNCER_LABEL]: tier.name }
        : { severity, [DATABASE_LABEL]: budget.database };
  const rule = (
    alert: AlertName,
    severity: Severity,
    forDuration: string,
    expr: string,
    summary: string,
    description: string,
    scope: Scope = 'environment',
  ): AlertingRule => ({
    alert,
    expr,
    for: forDuration,
    labels: labelsOf(severity, scope),
    annotations: { summary, description, runbook_url: `${input.runbookBaseUrl}#${runbookAnchor(alert)}` },
  });
  const timeouts = (window: string): string => `sum(rate(${METRIC.timeouts}${env}[${window}]))`;

  const rules: AlertingRule[] = [
    rule(
      'ClientatsCheckoutTimeoutsHigh',
      'critical',
      '5m',
      `${timeouts('2m')} / (sum(rate(${METRIC.waitCount}${env}[2m])) + ${timeouts('2m')}) > ${thresholds.timeoutRatio}`,
      `${environment}: {{ $value | humanizePercentage }} of database checkouts time out`,
      `In ${environment}, more than ${percent(thresholds.timeoutRatio)} of checkouts have given up ` +
        `after POOL_TIMEOUT (${pool.poolTimeoutMillis} ms) for 5 minutes: ` +
        `those requests fail with 503. Each instance holds at most ${poolBound} pool connections (${settings}).`,
    ),
    rule(
      'ClientatsCheckoutTimeouts',
      'warning',
      '10m',
      `${timeouts('5m')} > 0`,
      `${environment}: database checkouts time out ({{ $value | humanize }}/s)`,
      `In ${environment}, callers have waited POOL_TIMEOUT (${pool.poolTimeoutMillis} ms) ` +
        'without getting a connection, again and again for 10 minutes. ' +
        `Each instance holds at most ${poolBound} pool connections (${settings}).`,
    ),
    rule(
      'ClientatsCheckoutWaitNearTimeout',
      'warning',
      '10m',
      `histogram_quantile(0.99, sum by (le) (rate(${METRIC.waitBucket}${env}[5m]))) > ${waitThreshold}`,
      `${environment}: p99 checkout wait {{ $value | humanizeDuration }} nears POOL_TIMEOUT ${timeoutSeconds}s`,
      `In ${environment}, the 99th percentile of the wait for a connection has been above ${waitThreshold} s ` +
        `(${percent(thresholds.waitOfTimeout)} of POOL_TIMEOUT ${pool.poolTimeoutMillis} ms) ` +
        'for 10 minutes; timeouts come next.',
    ),
    rule(
      'ClientatsPoolSaturated',
      'warning',
      '5m',
      `sum by (instance, pod) (${METRIC.active}${env}) >= ${poolBound}`,
      `${environment}: every pool connection of ${where} is in use`,
      `${where} in ${environment} has had all ${poolBound} pool connections checked out ` +
        `(POOL_COUNT ${pool.poolCount} × (POOL_SIZE ${pool.poolSize} + MAX_OVERFLOW ` +
        `${pool.maxOverflow})) for 5 minutes; new requests wait up to POOL_TIMEOUT.`,
    ),
  ];
  if (pool.maxOverflow > 0) {
    rules.push(
      rule(
        'ClientatsOverflowMostlyInUse',
        'warning',
        '30m',
        `max by (instance, pod, pool) (avg_over_time((${METRIC.active}${env} > bool ${pool.poolSize}` +
          `)[1h:1m])) > ${thresholds.overflowTime}`,
        `${environment}: POOL_SIZE ${pool.poolSize} looks too small on ${where}`,
        `Pool {{ $labels.pool }} of ${where} in ${environment} has used overflow connections (more ` +
          `than POOL_SIZE ${pool.poolSize} in use) ` +
          `{{ $value | humanizePercentage }} of the last hour. Overflow is for bursts; ` +
          'steady load belongs in POOL_SIZE.',
      ),
    );
  }
  rules.push(
    rule(
      'ClientatsDatabaseUnreachable',
      'critical',
      '2m',
      `max(${METRIC.ready}${env}) == 0`,
      `${environment}: no instance reaches database ${budget.database}`,
      `Every instance of ${environment} has failed its readiness check (SELECT 1 on its own ` +
        'connection) for 2 minutes: ' +
        `/health/ready answers 503, so Kubernetes routes no traffic to them.`,
    ),
    rule(
      'ClientatsReadinessFailing',
      'warning',
      '5m',
      `${METRIC.ready}${env} == 0`,
      `${environment}: ${where} cannot reach database ${budget.database}`,
      `The readiness check of ${where} in ${environment} has failed for 5 minutes while the process runs.`,
    ),
    rule(
      'ClientatsConnectionErrors',
      'warning',
      '15m',
      `sum by (kind) (increase(${METRIC.connectionErrors}${env}[5m])) > 0`,
      `${environment}: database connection errors (kind {{ $labels.kind }})`,
      `In ${environment}, connections to ${budget.database} keep failing (kind "connect": ` +
        'new connections refused or timing out; ' +
        `"connection": open ones broken and replaced): {{ $value | humanize }} in the last 5 minutes, for 15 minutes.`,
    ),
    tier === undefined
      ? rule(
          'ClientatsNearBudgetedShare',
          'warning',
          '10m',
          `sum(${METRIC.open}${env}) >= ${shareThreshold}`,
          `${environment}: {{ $value }} connections of its budgeted ${budget.share}`,
          `${environment} holds {{ $value }} connections to ${budget.database}; ` +
            `the connection budget grants it ${budget.share} ` +
            `(the ${budget.mode} case, ${input.perInstance} per instance). ` +
            'More instances or larger pools than the budget counted ' +
            `take slots other consumers were promised.`,
        )
      : rule(
          'ClientatsNearBudgetedShare',
          'warning',
          '10m',
          `sum(${METRIC.open}${env}) >= ${shareThreshold}`,
          `${environment}: {{ $value }} client connections to PgBouncer ${tier.name} of its budgeted ${budget.share}`,
          `${environment} holds {{ $value }} client connections to PgBouncer tier ${tier.name} ` +
            '(client tier: they count against ' +
            `the bouncers' max_client_conn ${tier.maxClientConn}, ` +
            `not against max_connections of ${budget.database}); the client-tier ` +
            `budget grants it ${budget.share} (the ${budget.mode} case, ` +
            `${input.perInstance} per instance). More instances or larger ` +
            `pools than the budget counted take client slots the other apps behind the tier were promised.`,
        ),
  );
  if (tier === undefined) {
    rules.push(
      rule(
        'ClientatsDatabaseNearUsable',
        'warning',
        '5m',
        `${database} >= ${usableThreshold}`,
        `${budget.database}: {{ $value }} of ${budget.usable} usable connections in use`,
        `Database ${budget.database} has {{ $value }} connections from its consumers${unmeasured}; ` +
          `it has ${budget.usable} usable ` +
          `of max_connections ${budget.maxConnections}. Beyond ${budget.usable}, ` +
          'new connections fail with "too many clients already".',
        'database',
      ),
      rule(
        'ClientatsDatabaseAtUsable',
        'critical',
        '2m',
        `${database} >= ${budget.usable}`,
        `${budget.database}: all ${budget.usable} usable connections are taken`,
        `Database ${budget.database} has {{ $value }} connections from its consumers${unmeasured}, ` +
          `all ${budget.usable} usable of ` +
          `max_connections ${budget.maxConnections}: new connections (pool refills, overflow, ` +
          'new pods) fail with "too many clients already".',
        'database',
      ),
    );
  } else {
    const serving = tier.servingBouncers - tier.downDuringRollout;
    const tierThreshold = Math.ceil(tier.strictCapacity * thresholds.ofUsable);
    rules.push(
      rule(
        'ClientatsBouncerClientsNearCapacity',
        'warning',
        '10m',
        `sum(${METRIC.open}{${matcher(PGBOUNCER_LABEL, tier.name)}}) >= ${tierThreshold}`,
        `PgBouncer ${tier.name}: {{ $value }} client connections of the ${tier.strictCapacity} its tier takes with ` +
          `${tier.downDuringRollout} bouncer(s) down`,
        `The apps behind PgBouncer tier ${tier.name} hold {{ $value }} client connections (measured ` +
          'by their own pools). ' +
          `Client tier: ${tier.strictCapacity} client connections allowed across ` +
          `${tier.servingBouncers} bouncers with ` +
          `${tier.downDuringRollout} down (${serving} × max_client_conn ${tier.maxClientConn}; ` +
          `${tier.capacity} with all ` +
          `${tier.servingBouncers} serving). Past ${tier.strictCapacity}, ` +
          'a bouncer rollout or failure leaves clients refused ' +
          `("no more connections allowed (max_client_conn)").`,
        'tier',
      ),
    );
  }
  rules.push(
    rule(
      'ClientatsMetricsMissing',
      'warning',
      '10m',
      `absent(${METRIC.open}${env})`,
      `${environment}: no instance reports pool metrics`,
      `Prometheus has scraped no /metrics of ${environment} for 10 minutes: every instance is down, or the scrape ` +
        `(PodMonitor, scrape config) no longer finds them. None of the other alerts of ${environment}` +
        ' can fire meanwhile.',
    ),
  );
  const groups: RuleGroup[] = [{ name: `clientats-${environment}-connection-pool`, rules }];
  if (input.pgbouncer !== undefined) groups.push(pgbouncerRuleGroup(input, input.pgbouncer));
  return groups;
}

/** Which labels an alert carries: the environment's, the database's, or the PgBouncer tier's. */
type Scope = 'environment' | 'database' | 'tier';

/** `value` rounded to thousandths. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** `0.9` → `90 %`. */
function percent(fraction: number): string {
  return `${round(fraction * 100)} %`;
}
