/**
 * `PgBouncer`: a transaction-mode PgBouncer tier in front of one PostgreSQL
 * database — Deployment (≥ 2 replicas), Service, PodDisruptionBudget, TCP
 * probes, `pgbouncer.ini` from a ConfigMap and the userlist from a Secret the
 * team creates (no generated file holds a password). Pool sizes default to
 * what the two-tier budget allows (`src/budget/pgbouncer-budget.ts`); whether
 * the tier fits is decided once, by synth's budget of what is rendered. Unless
 * `monitoring: false`, a pinned prometheus-community pgbouncer_exporter runs
 * beside each bouncer, logged into the admin console as a `stats_users` user
 * whose password comes from the same Secret; synth adds its PodMonitor and the
 * tier's alerts (src/synth/render-monitoring.ts).
 */
import { createHash } from 'node:crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { BouncerFleet, BouncerPools } from '../budget/pgbouncer-budget.js';
import { renderPgbouncerIni } from './pgbouncer-ini.js';
import type { PgBouncerExporter, PgBouncerProps, SecretKey } from './pgbouncer-props.js';
import {
  DEFAULT_IGNORE_STARTUP_PARAMETERS,
  DEFAULT_PGBOUNCER_IMAGE,
  DEFAULT_PGBOUNCER_PORT,
  derivePoolDefaults,
  pgbouncerIniConfig,
  queryWaitTimeoutFor,
  type PgbouncerSettings,
} from './pgbouncer-settings.js';
import { restrictedSecurityContext } from '../kubernetes/restricted-security-context.js';
import {
  ADMIN_DATABASE,
  DEFAULT_PGBOUNCER_EXPORTER_IMAGE,
  PGBOUNCER_EXPORTER_PORT,
  PGBOUNCER_EXPORTER_PORT_NAME,
} from '../observability/pgbouncer-metric-names.js';

export { DEFAULT_PGBOUNCER_IMAGE, DEFAULT_PGBOUNCER_PORT };
/** The `pgbouncer` user and group of that image. */
const PGBOUNCER_USER_ID = 998;
const PGBOUNCER_GROUP_ID = 996;
/** Where the image reads its configuration, and where the userlist and server CA are mounted. */
const CONFIG_DIRECTORY = '/etc/pgbouncer';
const AUTH_DIRECTORY = '/etc/pgbouncer-auth';
const TLS_DIRECTORY = '/etc/pgbouncer-tls';

/** The admin-console user the exporter logs in as, by default. */
const DEFAULT_STATS_USER = 'pgbouncer_exporter';

export type {
  PgBouncerBudgetInputs,
  PgBouncerExporter,
  PgBouncerMonitoringProps,
  PgBouncerProps,
  PgBouncerServer,
  SecretKey,
} from './pgbouncer-props.js';

/** A PgBouncer tier: the Kubernetes objects and its resolved settings. */
export class PgBouncer extends Construct {
  public readonly name: string;
  public readonly port: number;
  public readonly replicas: number;
  public readonly strategy: {
    readonly type: 'RollingUpdate';
    readonly maxSurge: number;
    readonly maxUnavailable: number;
  };
  public readonly users: readonly string[];
  /** The database name clients put in their URL. */
  public readonly databaseAlias: string;
  public readonly settings: PgbouncerSettings;
  /** The rendered pgbouncer.ini (the ConfigMap's content). */
  public readonly ini: string;
  public readonly authSecret: SecretKey;
  public readonly configMap: kplus.ConfigMap;
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;
  public readonly podDisruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** The exporter sidecar; `undefined` when monitoring is off. */
  public readonly exporter: PgBouncerExporter | undefined;
  /** The Secret holding the CA that verifies the server, when TLS to the server names one. */
  private readonly serverCaSecret: SecretKey | undefined;

  constructor(scope: Construct, id: string, props: PgBouncerProps) {
    super(scope, id);
    this.name = props.name ?? id;
    this.port = props.port ?? DEFAULT_PGBOUNCER_PORT;
    this.replicas = props.replicas ?? 2;
    this.strategy = {
      type: 'RollingUpdate',
      maxSurge: props.rollingUpdate?.maxSurge ?? 1,
      maxUnavailable: props.rollingUpdate?.maxUnavailable ?? 0,
    };
    this.users = props.users ?? ['app'];
    this.databaseAlias = props.databaseAlias ?? props.server.database;
    this.authSecret = props.authSecret ?? { name: `${this.name}-auth`, key: 'userlist.txt' };
    const reservePoolSize = props.reservePoolSize ?? 0;
    const derived = derivePoolDefaults({
      budget: props.budget,
      fleet: this.fleet(),
      databaseAlias: this.databaseAlias,
      users: this.users,
      reservePoolSize,
    });
    const defaultPoolSize = props.defaultPoolSize ?? derived.defaultPoolSize;
    const poolTimeout = props.poolTimeout ?? Duration.seconds(5);
    const tls = props.server.tls;
    this.serverCaSecret = tls?.caSecret;
    this.exporter =
      props.monitoring === false
        ? undefined
        : {
            image: props.monitoring?.exporterImage ?? DEFAULT_PGBOUNCER_EXPORTER_IMAGE,
            statsUser: props.monitoring?.statsUser ?? DEFAULT_STATS_USER,
            passwordSecret: props.monitoring?.passwordSecret ?? {
              name: this.authSecret.name,
              key: 'exporter-password',
            },
          };
    this.settings = {
      databaseAlias: this.databaseAlias,
      serverHost: props.server.host,
      serverPort: props.server.port ?? 5432,
      serverDatabase: props.server.database,
      listenPort: this.port,
      authFile: `${AUTH_DIRECTORY}/${this.authSecret.key}`,
      authType: props.authType ?? 'scram-sha-256',
      poolMode: props.poolMode ?? 'transaction',
      defaultPoolSize,
      reservePoolSize,
      reservePoolTimeoutSeconds: (props.reservePoolTimeout ?? Duration.seconds(5)).toSeconds(),
      maxDbConnections: props.maxDbConnections ?? this.users.length * (defaultPoolSize + reservePoolSize),
      maxClientConn: props.maxClientConn ?? derived.maxClientConn,
      serverIdleTimeoutSeconds: (props.serverIdleTimeout ?? Duration.seconds(600)).toSeconds(),
      queryWaitTimeoutSeconds:
        props.queryWaitTimeout?.toSeconds() ?? queryWaitTimeoutFor(poolTimeout.toMilliseconds()),
      ignoreStartupParameters: props.ignoreStartupParameters ?? DEFAULT_IGNORE_STARTUP_PARAMETERS,
      ...(tls === undefined
        ? {}
        : {
            serverTls: {
              mode: tls.mode,
              ...(tls.caSecret === undefined ? {} : { caFile: `${TLS_DIRECTORY}/${tls.caSecret.key}` }),
            },
          }),
      // The exporter's user may run SHOW commands on the admin console, nothing else.
      ...(this.exporter === undefined ? {} : { extra: { stats_users: this.exporter.statsUser } }),
    };
    this.ini = renderPgbouncerIni(
      pgbouncerIniConfig(this.settings),
      `Generated by clientats-deploy for ${this.name}: do not edit.`,
    );
    const problems = this.propProblems();
    this.node.addValidation({ validate: () => problems });

    this.configMap = new kplus.ConfigMap(this, 'config', {
      metadata: { name: this.name },
      data: { 'pgbouncer.ini': this.ini },
    });
    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: this.name },
      replicas: this.replicas,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(this.strategy.maxSurge),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(this.strategy.maxUnavailable),
      }),
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: PGBOUNCER_USER_ID, group: PGBOUNCER_GROUP_ID },
    });
    this.deployment.podMetadata.addLabel('app', this.name);
    // A changed ini rolls the pods: the ConfigMap alone would not restart them.
    this.deployment.podMetadata.addAnnotation(
      'clientats.dev/pgbouncer-ini-sha256',
      createHash('sha256').update(this.ini).digest('hex'),
    );
    const container = this.deployment.addContainer({
      name: 'pgbouncer',
      image: props.image ?? DEFAULT_PGBOUNCER_IMAGE,
      // The image is pinned by version: nothing to pull again for a pod that restarts.
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ name: 'pgbouncer', number: this.port }],
      readiness: kplus.Probe.fromTcpSocket({
        port: this.port,
        periodSeconds: Duration.seconds(5),
        timeoutSeconds: Duration.seconds(3),
        failureThreshold: 3,
      }),
      liveness: kplus.Probe.fromTcpSocket({
        port: this.port,
        initialDelaySeconds: Duration.seconds(10),
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(3),
        failureThreshold: 3,
      }),
      startup: kplus.Probe.fromTcpSocket({
        port: this.port,
        periodSeconds: Duration.seconds(2),
        failureThreshold: 30,
      }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
      },
      securityContext: restrictedSecurityContext(PGBOUNCER_USER_ID, PGBOUNCER_GROUP_ID),
    });
    container.mount(
      CONFIG_DIRECTORY,
      kplus.Volume.fromConfigMap(this, 'config-volume', this.configMap, { name: 'config' }),
      { readOnly: true },
    );
    const auth = kplus.Secret.fromSecretName(this, 'auth', this.authSecret.name);
    container.mount(
      AUTH_DIRECTORY,
      kplus.Volume.fromSecret(this, 'auth-volume', auth, {
        name: 'auth',
        items: { [this.authSecret.key]: { path: this.authSecret.key } },
      }),
      { readOnly: true },
    );
    if (tls?.caSecret !== undefined) {
      const ca = kplus.Secret.fromSecretName(this, 'server-ca', tls.caSecret.name);
      container.mount(
        TLS_DIRECTORY,
        kplus.Volume.fromSecret(this, 'server-ca-volume', ca, {
          name: 'server-ca',
          items: { [tls.caSecret.key]: { path: tls.caSecret.key } },
        }),
        { readOnly: true },
      );
    }
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp'));
    if (this.exporter !== undefined) this.addExporter(this.exporter);

    this.service = new kplus.Service(this, 'service', {
      metadata: { name: this.name },
      selector: this.deployment,
      ports: [{ name: 'pgbouncer', port: this.port, targetPort: this.port }],
    });
    // At most one bouncer down for voluntary disruptions: the strict client-side bound assumes exactly that.
    this.podDisruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: this.name },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: this.deployment.matchLabels },
      },
    });
  }

  /**
   * The exporter beside the bouncer: it connects to the admin console over loopback inside the pod (no TLS
   * needed: the traffic never leaves the pod) as the stats user, its password from the Secret as PGPASSWORD
   * (lib/pq reads it), so no generated file holds it. It has no readiness probe: a failing exporter must not
   * take a serving bouncer out of its Service.
   */
  private addExporter(exporter: PgBouncerExporter): void {
    const secret = kplus.Secret.fromSecretName(this, 'exporter-password', exporter.passwordSecret.name);
    this.deployment.addContainer({
      name: 'exporter',
      image: exporter.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        `--pgBouncer.connectionString=postgres://${encodeURIComponent(exporter.statsUser)}@127.0.0.1:${this.port}` +
          `/${ADMIN_DATABASE}?sslmode=disable`,
        `--web.listen-address=:${PGBOUNCER_EXPORTER_PORT}`,
      ],
      ports: [{ name: PGBOUNCER_EXPORTER_PORT_NAME, number: PGBOUNCER_EXPORTER_PORT }],
      envVariables: {
        PGPASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: exporter.passwordSecret.key }),
      },
      liveness: kplus.Probe.fromTcpSocket({
        port: PGBOUNCER_EXPORTER_PORT,
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(3),
        failureThreshold: 3,
      }),
      startup: kplus.Probe.fromTcpSocket({
        port: PGBOUNCER_EXPORTER_PORT,
        periodSeconds: Duration.seconds(2),
        failureThreshold: 30,
      }),
      resources: {
        cpu: { request: kplus.Cpu.millis(10) },
        memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      },
      securityContext: restrictedSecurityContext(PGBOUNCER_USER_ID, PGBOUNCER_GROUP_ID),
    });
  }

  /**
   * The manifest's header lines: the Secret the bouncers need, with the exporter's password beside
   * userlist.txt (which must hold a line for the stats user too).
   */
  public headerComment(): string[] {
    const users = this.users.map((user) => `"${user}" "<${user} password or SCRAM secret>"`).join(', ');
    const userlist = `--from-file=${this.authSecret.key}=./userlist.txt`;
    const exporter = this.exporter;
    const sameSecret = exporter !== undefined && exporter.passwordSecret.name === this.authSecret.name;
    const exporterPassword = (key: string) => `--from-literal=${key}="<exporter password>"`;
    const lines = [
      `${this.name}: REQUIRED Secrets of the bouncers; userlist.txt holds one line per user: ${users}` +
        (exporter === undefined
          ? '.'
          : `, and "${exporter.statsUser}" "<exporter password>" for its exporter (stats_users).`),
      `  kubectl create secret generic ${this.authSecret.name} -n <namespace> ${userlist}` +
        (sameSecret ? ` ${exporterPassword(exporter.passwordSecret.key)}` : ''),
    ];
    if (exporter !== undefined && !sameSecret) {
      lines.push(
        `  kubectl create secret generic ${exporter.passwordSecret.name} -n <namespace> ` +
          exporterPassword(exporter.passwordSecret.key),
      );
    }
    const ca = this.serverCaSecret;
    if (ca !== undefined) {
      lines.push(
        `  kubectl create secret generic ${ca.name} -n <namespace> --from-file=${ca.key}=./<the ` +
          `server's CA certificate>`,
      );
    }
    return lines;
  }

  /** The pods as the budget counts them (replicas, rollout bounds). */
  public fleet(): BouncerFleet {
    return { replicas: this.replicas, strategy: this.strategy };
  }

  /** One bouncer process's pools as the budget reads them. */
  public bouncerPools(): BouncerPools {
    const settings = this.settings;
    return this.poolsAt(
      settings.defaultPoolSize,
      settings.reservePoolSize,
      settings.maxDbConnections,
      settings.maxClientConn,
    );
  }

  /**
   * The DATABASE_URL an app behind this bouncer uses (in its Secret, never in a
   * manifest): `postgres://user:<password>@<service>:<port>/<database>`.
   */
  public databaseUrlFor(user: string, password = '<password>'): string {
    return (
      `postgres://${encodeURIComponent(user)}:${password}@${this.name}:${this.port}/` +
      `${encodeURIComponent(this.databaseAlias)}`
    );
  }

  private poolsAt(
    defaultPoolSize: number,
    reservePoolSize: number,
    maxDbConnections: number,
    maxClientConn: number,
  ): BouncerPools {
    return {
      databases: [{ name: this.databaseAlias, users: this.users.map((user) => ({ user })) }],
      defaultPoolSize,
      reservePoolSize,
      maxDbConnections,
      maxClientConn,
    };
  }

  private propProblems(): string[] {
    const problems: string[] = [];
    const count = (field: string, value: number, minimum: number): void => {
      if (!Number.isSafeInteger(value) || value < minimum)
        problems.push(`${field} must be an integer >= ${minimum}, got ${value}`);
    };
    count('replicas', this.replicas, 2);
    count('defaultPoolSize', this.settings.defaultPoolSize, 1);
    count('reservePoolSize', this.settings.reservePoolSize, 0);
    count('maxDbConnections', this.settings.maxDbConnections, 0);
    count('maxClientConn', this.settings.maxClientConn, 1);
    count('port', this.port, 1);
    count('rollingUpdate.maxSurge', this.strategy.maxSurge, 0);
    count('rollingUpdate.maxUnavailable', this.strategy.maxUnavailable, 0);
    if (this.strategy.maxSurge === 0 && this.strategy.maxUnavailable === 0) {
      problems.push(
        'rollingUpdate.maxSurge and maxUnavailable are both 0: a rollout could never replace a pod, ' +
          'so raise one of them',
      );
    }
    if (this.exporter !== undefined) {
      const user = this.exporter.statsUser;
      if (!/^[A-Za-z0-9_.-]+$/.test(user) || this.users.includes(user)) {
        problems.push(
          'monitoring.statsUser must be a plain user name (letters, digits, "_", ".", "-") ' +
            `other than the pools' users ` +
            `[${this.users.join(', ')}], got ${JSON.stringify(user)}`,
        );
      }
    }
    if (this.settings.queryWaitTimeoutSeconds < 1) {
      problems.push(
        'queryWaitTimeout must be at least 1 s (0 would let clients wait forever), ' +
          `got ${this.settings.queryWaitTimeoutSeconds} s`,
      );
    }
    return problems;
  }
}
