import { Chart, Duration, Testing } from 'cdk8s';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { parsePgbouncerIni } from '../../src/pgbouncer/pgbouncer-ini.js';
import { pgbouncerBudget } from '../../src/budget/pgbouncer-budget.js';
import { DEFAULT_PGBOUNCER_EXPORTER_IMAGE } from '../../src/observability/index.js';
import { DEFAULT_PGBOUNCER_IMAGE, PgBouncer, type PgBouncerProps } from '../../src/pgbouncer/pgbouncer.js';
import { validateKubernetesObject } from '../support/kubernetes-models.js';

interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
  readonly spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly data?: Record<string, string>;
}

const SERVER = { host: 'postgres.db.svc', database: 'app' };
/**
 * The guide's 10 pods × (8 + 2 overflow + 1 readiness), 13 with the rollout surge, on a 100-connection
 * server (97 usable).
 */
const GUIDE_BUDGET = {
  usable: 97,
  direct: [{ name: 'migrations', instances: 1, perInstance: 2 }],
  behind: [{ name: 'clientats', instances: 13, perInstance: 11 }],
};

function build(props: Partial<PgBouncerProps> = {}): { bouncer: PgBouncer; objects: KubeObject[] } {
  const chart = new Chart(Testing.app(), 'test');
  const bouncer = new PgBouncer(chart, 'pgbouncer', { server: SERVER, ...props });
  return { bouncer, objects: Testing.synth(chart) as KubeObject[] };
}

/** The construct alone, not synthesized: synth would throw on the validation errors a test wants to read. */
function construct(props: Partial<PgBouncerProps>): PgBouncer {
  return new PgBouncer(new Chart(Testing.app(), 'test'), 'pgbouncer', { server: SERVER, ...props });
}

function objectOf(objects: readonly KubeObject[], kind: string): KubeObject {
  const found = objects.find((object) => object.kind === kind);
  if (found === undefined) throw new Error(`no ${kind} synthesized`);
  return found;
}

describe('PgBouncer', () => {
  it('synthesizes a valid Deployment, Service, PodDisruptionBudget and ConfigMap', () => {
    const { objects } = build({ budget: GUIDE_BUDGET });
    expect(objects.map((object) => object.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
    ]);
    for (const object of objects) {
      if (object.kind === 'ConfigMap') new ConfigMap(object as never).validate();
      else validateKubernetesObject(object);
    }
  });

  it('runs two pinned pods that roll one at a time, with TCP probes on the port', () => {
    const { objects } = build();
    const deployment = objectOf(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(DEFAULT_PGBOUNCER_IMAGE);
    expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);
    expect(container.ports).toEqual([{ containerPort: 6432, name: 'pgbouncer' }]);
    expect(container.readinessProbe).toEqual({
      tcpSocket: { port: 6432 },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    expect(container.livenessProbe).toEqual({
      tcpSocket: { port: 6432 },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '64Mi' },
      limits: { memory: '128Mi' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 998,
      readOnlyRootFilesystem: true,
    });
    expect(objectOf(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(objectOf(objects, 'Service').spec.ports).toEqual([
      { name: 'pgbouncer', port: 6432, targetPort: 6432 },
    ]);
  });

  it('mounts pgbouncer.ini from the ConfigMap and the userlist from a Secret, and holds no password', () => {
    const { objects } = build();
    const pod = objectOf(objects, 'Deployment').spec.template.spec;
    const volumes = Object.fromEntries(pod.volumes.map((volume: { name: string }) => [volume.name, volume]));
    expect(volumes.config.configMap.name).toBe('pgbouncer');
    expect(volumes.auth.secret).toEqual({
      secretName: 'pgbouncer-auth',
      items: [{ key: 'userlist.txt', path: 'userlist.txt' }],
    });
    expect(pod.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        { mountPath: '/etc/pgbouncer', name: 'config', readOnly: true },
        { mountPath: '/etc/pgbouncer-auth', name: 'auth', readOnly: true },
      ]),
    );
    expect(objects.some((object) => object.kind === 'Secret')).toBe(false);
    // The only "password" strings are the exporter's variable name and the Secret key it is read from.
    expect(JSON.stringify(objects).match(/"[^"]*password[^"]*"/gi)).toEqual([
      '"PGPASSWORD"',
      '"exporter-password"',
    ]);
    expect(JSON.stringify(build({ monitoring: false }).objects)).not.toMatch(/password/i);
  });

  it("derives pool sizes from the budget: the guide's 10 pods fit a 100-connection server through 2 bouncers", () => {
    const { bouncer, objects } = build({ budget: GUIDE_BUDGET });
    const ini = objectOf(objects, 'ConfigMap').data!['pgbouncer.ini']!;
    expect(ini).toBe(
      [
        '; Generated by clientats-deploy for pgbouncer: do not edit.',
        '',
        '[databases]',
        'app = host=postgres.db.svc port=5432 dbname=app',
        '',
        '[pgbouncer]',
        'listen_addr = 0.0.0.0',
        'listen_port = 6432',
        'unix_socket_dir =',
        'auth_type = scram-sha-256',
        'auth_file = /etc/pgbouncer-auth/userlist.txt',
        'pool_mode = transaction',
        'default_pool_size = 31',
        'reserve_pool_size = 0',
        'reserve_pool_timeout = 5',
        'max_db_connections = 31',
        'max_client_conn = 143',
        'server_idle_timeout = 600',
        'query_wait_timeout = 5',
        'ignore_startup_parameters = extra_float_digits',
        'syslog = 0',
        'stats_users = pgbouncer_exporter',
        '',
      ].join('\n'),
    );
    // The derived defaults fit the inputs they were derived from (synth's budget counts the rendered tier).
    const budget = pgbouncerBudget({
      ...GUIDE_BUDGET,
      bouncer: bouncer.bouncerPools(),
      fleet: bouncer.fleet(),
    });
    expect(budget.server).toEqual({
      bouncerInstances: 3,
      bouncerConnections: 93,
      direct: 2,
      total: 95,
      usable: 97,
      fits: true,
    });
    expect(budget.client).toMatchObject({
      demand: 143,
      capacity: 286,
      strictCapacity: 143,
      fits: true,
      fitsStrict: true,
    });
    expect(bouncer.node.validate()).toEqual([]);
  });

  it('rolls the pods when the ini changes', () => {
    const annotation = (props: Partial<PgBouncerProps>) =>
      objectOf(build(props).objects, 'Deployment').spec.template.metadata.annotations[
        'clientats.dev/pgbouncer-ini-sha256'
      ];
    expect(annotation({ defaultPoolSize: 10 })).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation({ defaultPoolSize: 10 })).not.toBe(annotation({ defaultPoolSize: 11 }));
  });

  it('ties query_wait_timeout to POOL_TIMEOUT, rounded up to whole seconds', () => {
    expect(build({ poolTimeout: Duration.millis(2500) }).bouncer.settings.queryWaitTimeoutSeconds).toBe(3);
    expect(
      build({ poolTimeout: Duration.millis(2500), queryWaitTimeout: Duration.seconds(10) }).bouncer.settings
        .queryWaitTimeoutSeconds,
    ).toBe(10);
  });

  it("keeps PgBouncer's defaults without a budget", () => {
    const { bouncer } = build();
    expect(bouncer.settings).toMatchObject({
      defaultPoolSize: 20,
      maxDbConnections: 20,
      maxClientConn: 100,
      poolMode: 'transaction',
    });
  });

  it('encrypts to the server with the CA from a Secret when the environment uses TLS', () => {
    const { bouncer, objects } = build({
      server: { ...SERVER, tls: { mode: 'verify-full', caSecret: { name: 'db-ca', key: 'ca.crt' } } },
    });
    const settings = parsePgbouncerIni(bouncer.ini).pgbouncer;
    expect({ mode: settings.server_tls_sslmode, ca: settings.server_tls_ca_file }).toEqual({
      mode: 'verify-full',
      ca: '/etc/pgbouncer-tls/ca.crt',
    });
    const pod = objectOf(objects, 'Deployment').spec.template.spec;
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'server-ca', secret: { secretName: 'db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ]),
    );
  });

  it('names the bouncer in the DATABASE_URL the apps use', () => {
    expect(build().bouncer.databaseUrlFor('app')).toBe('postgres://app:<password>@pgbouncer:6432/app');
  });

  it(
    'runs the pinned prometheus-community exporter beside each bouncer, as the stats user, ' +
      'password from the Secret',
    () => {
      const { bouncer, objects } = build();
      const pod = objectOf(objects, 'Deployment').spec.template.spec;
      expect(pod.containers.map((container: { name: string }) => container.name)).toEqual([
        'pgbouncer',
        'exporter',
      ]);
      const [pgbouncer, exporter] = pod.containers;
      expect(exporter.image).toBe('quay.io/prometheuscommunity/pgbouncer-exporter:v0.12.1');
      expect(exporter.image).toBe(DEFAULT_PGBOUNCER_EXPORTER_IMAGE);
      expect(exporter.imagePullPolicy).toBe('IfNotPresent');
      expect(exporter.args).toEqual([
        '--pgBouncer.connectionString=postgres://pgbouncer_exporter@127.0.0.1:6432/pgbouncer?sslmode=disable',
        '--web.listen-address=:9127',
      ]);
      expect(exporter.ports).toEqual([{ containerPort: 9127, name: 'metrics' }]);
      expect(exporter.env).toEqual([
        {
          name: 'PGPASSWORD',
          valueFrom: { secretKeyRef: { name: 'pgbouncer-auth', key: 'exporter-password' } },
        },
      ]);
      // A failing exporter must not take a serving bouncer out of its Service.
      expect(exporter.readinessProbe).toBeUndefined();
      expect(exporter.livenessProbe).toMatchObject({ tcpSocket: { port: 9127 } });
      expect(exporter.securityContext).toEqual(pgbouncer.securityContext);
      expect(exporter.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 998,
        runAsGroup: 996,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(parsePgbouncerIni(bouncer.ini).pgbouncer.stats_users).toBe('pgbouncer_exporter');
      expect(bouncer.headerComment()).toEqual([
        'pgbouncer: REQUIRED Secrets of the bouncers; userlist.txt holds one line per user: "app" ' +
          '"<app password or SCRAM secret>", and "pgbouncer_exporter" "<exporter password>" for its ' +
          'exporter (stats_users).',
        '  kubectl create secret generic pgbouncer-auth -n <namespace> --from-file=userlist.txt=./userlist.txt ' +
          '--from-literal=exporter-password="<exporter password>"',
      ]);
      for (const object of objects) {
        if (object.kind !== 'ConfigMap') validateKubernetesObject(object);
      }
    },
  );

  it('takes another stats user and password Secret, or no exporter at all', () => {
    const custom = build({
      monitoring: { statsUser: 'stats', passwordSecret: { name: 'exporter', key: 'pw' } },
    });
    const exporter = objectOf(custom.objects, 'Deployment').spec.template.spec.containers[1];
    expect(exporter.args[0]).toBe(
      '--pgBouncer.connectionString=postgres://stats@127.0.0.1:6432/pgbouncer?sslmode=disable',
    );
    expect(exporter.env[0].valueFrom.secretKeyRef).toEqual({ name: 'exporter', key: 'pw' });
    expect(parsePgbouncerIni(custom.bouncer.ini).pgbouncer.stats_users).toBe('stats');
    const off = build({ monitoring: false });
    expect(objectOf(off.objects, 'Deployment').spec.template.spec.containers).toHaveLength(1);
    expect(parsePgbouncerIni(off.bouncer.ini).pgbouncer.stats_users).toBeUndefined();
    expect(off.bouncer.exporter).toBeUndefined();
    // Without an exporter the userlist Secret is still required, and said so.
    expect(off.bouncer.headerComment()).toEqual([
      'pgbouncer: REQUIRED Secrets of the bouncers; userlist.txt holds one line per user: ' +
        '"app" "<app password or SCRAM secret>".',
      '  kubectl create secret generic pgbouncer-auth -n <namespace> --from-file=userlist.txt=./userlist.txt',
    ]);
  });

  it('fails validation when the stats user is a pool user or not a plain name', () => {
    expect(construct({ monitoring: { statsUser: 'app' } }).node.validate()).toEqual([
      'monitoring.statsUser must be a plain user name (letters, digits, "_", ".", "-") ' +
        'other than the pools\' users [app], got "app"',
    ]);
    expect(construct({ monitoring: { statsUser: 'a b' } }).node.validate()).toEqual([
      'monitoring.statsUser must be a plain user name (letters, digits, "_", ".", "-") ' +
        'other than the pools\' users [app], got "a b"',
    ]);
  });

  it('fails validation when it runs a single replica', () => {
    expect(construct({ replicas: 1 }).node.validate()).toEqual(['replicas must be an integer >= 2, got 1']);
  });

  it('leaves the fit to synth: no budget check of its own, even on sizes over budget', () => {
    // One budget pipeline: synth counts the rendered tier (test/synth/pgbouncer-synth.test.ts).
    expect(
      construct({ budget: GUIDE_BUDGET, defaultPoolSize: 40, maxClientConn: 50 }).node.validate(),
    ).toEqual([]);
  });
});
