import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/budget/budget-report.js';
import type { BudgetedWorkload, DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import { renderApp } from '../../src/synth/render-app.js';
import { budgetOfRendered, type SynthBudget } from '../../src/synth/synth-budget.js';

interface TestServiceProps {
  readonly database: DatabaseDeclaration;
  readonly replicas: number;
  readonly poolSize: number;
  readonly maxOverflow?: number;
  readonly kind?: string;
  readonly probeTimeoutSeconds?: number;
  readonly graceSeconds?: number;
  readonly environment?: Record<string, string>;
}

/** A minimal budgeted workload: one workload object rendered with cdk8s core. */
class TestService extends Chart implements BudgetedWorkload {
  public readonly budgetDatabase: DatabaseDeclaration;
  constructor(scope: Construct, id: string, props: TestServiceProps) {
    super(scope, id);
    this.budgetDatabase = props.database;
    const env = {
      POOL_SIZE: String(props.poolSize),
      MAX_OVERFLOW: String(props.maxOverflow ?? 0),
      ...props.environment,
    };
    new ApiObject(this, 'workload', {
      apiVersion: 'apps/v1',
      kind: props.kind ?? 'Deployment',
      metadata: { name: id },
      spec: {
        replicas: props.replicas,
        template: {
          spec: {
            terminationGracePeriodSeconds: props.graceSeconds ?? 20,
            containers: [
              {
                name: 'app',
                image: 'clientats:latest',
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                readinessProbe: {
                  httpGet: { path: '/health/ready', port: 4000 },
                  timeoutSeconds: props.probeTimeoutSeconds ?? 3,
                },
              },
            ],
          },
        },
      },
    });
  }
}

const SERVER_100 = (name: string): DatabaseDeclaration => ({ name, maxConnections: 100 });

function budgetOf(app: App): SynthBudget {
  return budgetOfRendered(renderApp(app));
}

function newApp(): App {
  return new App({ outdir: 'unused', yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

describe('budgetOfRendered', () => {
  it('fails listing every violation at once, each with its environment and arithmetic', () => {
    const app = newApp();
    new TestService(app, 'clientats-large', {
      database: SERVER_100('large-db'),
      replicas: 10,
      poolSize: 8,
      maxOverflow: 2,
    });
    new TestService(app, 'clientats-small', { database: SERVER_100('small-db'), replicas: 1, poolSize: 5 });
    new TestService(app, 'clientats-huge', {
      database: SERVER_100('huge-db'),
      replicas: 4,
      poolSize: 30,
      probeTimeoutSeconds: 1,
    });
    expect(budgetOf(app).problems).toEqual([
      '[clientats-huge] worst case 155 > 97 usable (max_connections 100 − 3 reserved): ' +
        '5 pods (4 replicas + 1 surge) × (1 pool × (30 + 0) + 1 probe)',
      '[clientats-large] worst case 143 > 97 usable (max_connections 100 − 3 reserved): ' +
        '13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)',
      '[clientats-huge] clientats-huge: readiness probe timeoutSeconds 1 must exceed ' +
        'READINESS_TIMEOUT_MS 1500 ms, or the probe gives up before the runtime answers 503: ' +
        'raise timeoutSeconds to 2 or lower READINESS_TIMEOUT_MS',
    ]);
  });

  it('sums services and other clients sharing one database and reports the violation once', () => {
    const shared: DatabaseDeclaration = {
      ...SERVER_100('shared-db'),
      otherClients: [{ kind: 'other', name: 'migrations', connections: 5, description: 'migration job' }],
    };
    const app = newApp();
    new TestService(app, 'web', { database: shared, replicas: 4, poolSize: 10 });
    new TestService(app, 'worker', { database: shared, replicas: 3, poolSize: 10 });
    expect(budgetOf(app).problems).toEqual([
      '[web] worst case 104 > 97 usable (max_connections 100 − 3 reserved) on database shared-db: ' +
        'web 5 pods (4 replicas + 1 surge) × (1 pool × (10 + 0) + 1 probe) ' +
        '= 55 + worker 4 pods (3 replicas + 1 surge) × (1 pool × (10 + 0) + 1 probe) ' +
        '= 44 + migrations 5 (migration job) = 5',
    ]);
  });

  it('counts a StatefulSet a workload renders, without surge', () => {
    const app = newApp();
    new TestService(app, 'db-writer', {
      database: SERVER_100('db'),
      replicas: 5,
      poolSize: 30,
      kind: 'StatefulSet',
    });
    expect(budgetOf(app).problems).toEqual([
      '[db-writer] worst case 155 > 97 usable (max_connections 100 − 3 reserved): ' +
        '5 pods (5 replicas, StatefulSet: replaced one by one) × (1 pool × (30 + 0) + 1 probe)',
    ]);
  });

  it('gives a deterministic report of an app that fits, each consumer with the file that holds it', () => {
    const declare = (): App => {
      const app = newApp();
      new TestService(app, 'web', { database: SERVER_100('web-db'), replicas: 2, poolSize: 10 });
      return app;
    };
    const budget = budgetOf(declare());
    expect(budget.problems).toEqual([]);
    expect(formatJson(budgetOf(declare()).report)).toBe(formatJson(budget.report));
    expect(budget.report.databases[0].totals).toEqual({ steady: 22, rollout: 33, strict: 44 });
    expect(budget.report.databases[0].consumers[0]).toMatchObject({
      artifact: 'web.k8s.yaml',
      source: 'web',
      readiness: true,
    });
  });

  it('fails when the grace period is shorter than an overridden shutdown drain', () => {
    const app = newApp();
    new TestService(app, 'web', {
      database: SERVER_100('web-db'),
      replicas: 1,
      poolSize: 5,
      environment: { SHUTDOWN_DRAIN_MS: '30000' },
    });
    expect(budgetOf(app).problems).toEqual([
      '[web] web: terminationGracePeriodSeconds 20 s must exceed SHUTDOWN_DELAY_MS 5000 + ' +
        'SHUTDOWN_DRAIN_MS 30000 = 35000 ms, or the process is killed before it drains: ' +
        'raise terminationGracePeriodSeconds to 36 s or lower the shutdown delays',
    ]);
  });

  it('fails when two workloads declare one database with different limits', () => {
    const app = newApp();
    new TestService(app, 'web', { database: SERVER_100('shared-db'), replicas: 1, poolSize: 5 });
    new TestService(app, 'worker', {
      database: { name: 'shared-db', maxConnections: 200 },
      replicas: 1,
      poolSize: 5,
    });
    expect(budgetOf(app).problems).toEqual([
      '[worker] database "shared-db" is declared with different limits by web and worker: ' +
        'declare it once and share the object',
    ]);
  });

  it('fails when a rendered workload connects but no construct declares its database', () => {
    const app = newApp();
    const chart = new Chart(app, 'loose');
    new ApiObject(chart, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'migrate', env: [{ name: 'DATABASE_URL', value: 'postgres://db/app' }] }],
          },
        },
      },
    });
    expect(budgetOf(app).problems).toEqual([
      'loose.k8s.yaml: migrate connects to a database, but no construct declares which: ' +
        'render it from a construct that takes a database declaration',
    ]);
  });

  it('fails when a workload renders a DaemonSet that connects: synth has no node count', () => {
    const app = newApp();
    new TestService(app, 'agent', {
      database: SERVER_100('db'),
      replicas: 1,
      poolSize: 2,
      kind: 'DaemonSet',
    });
    expect(budgetOf(app).problems).toEqual([
      '[agent] connection budget cannot read what synth rendered: agent.k8s.yaml: ' +
        'DaemonSet "agent" runs one pod per node and connects to the database: ' +
        'give the node count with --nodes N',
    ]);
  });
});
