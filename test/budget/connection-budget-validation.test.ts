import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../src/budget/budget-types.js';
import type { BudgetedWorkload, DatabaseDeclaration } from '../../src/budget/budgeted-workload.js';
import { addConnectionBudget, computeAppBudget, writeBudgetReport } from '../../src/budget/connection-budget-validation.js';

interface TestServiceProps {
  readonly database: DatabaseDeclaration;
  readonly replicas: number;
  readonly poolSize: number;
  readonly maxOverflow?: number;
  /** Replicas the budget is told, when it should differ from what is rendered. */
  readonly declaredReplicas?: number;
  readonly probeTimeoutSeconds?: number;
  readonly graceSeconds?: number;
  readonly environment?: Record<string, string>;
  readonly invalid?: string;
}

/** A minimal budgeted workload: one Deployment rendered with cdk8s core. */
class TestService extends Chart implements BudgetedWorkload {
  public readonly budgetDatabase: DatabaseDeclaration;
  constructor(scope: Construct, id: string, private readonly props: TestServiceProps) {
    super(scope, id);
    this.budgetDatabase = props.database;
    if (props.invalid !== undefined) this.node.addValidation({ validate: () => [props.invalid!] });
    const env = { POOL_SIZE: String(props.poolSize), MAX_OVERFLOW: String(props.maxOverflow ?? 0), ...props.environment };
    new ApiObject(this, 'deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: id },
      spec: {
        replicas: props.replicas,
        template: {
          spec: {
            terminationGracePeriodSeconds: props.graceSeconds ?? 20,
            containers: [{
              name: 'app',
              image: 'clientats:latest',
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              readinessProbe: { httpGet: { path: '/health/ready', port: 4000 }, timeoutSeconds: props.probeTimeoutSeconds ?? 3 },
            }],
          },
        },
      },
    });
  }

  public budgetConsumers(): readonly Consumer[] {
    return [{
      kind: 'kubernetes', name: this.node.id, replicas: this.props.declaredReplicas ?? this.props.replicas,
      pool: { poolSize: this.props.poolSize, poolCount: 1, maxOverflow: this.props.maxOverflow ?? 0 },
    }];
  }
}

const SERVER_100 = (name: string): DatabaseDeclaration => ({ name, maxConnections: 100 });

function validationMessage(app: App): string {
  try {
    app.synthYaml();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('addConnectionBudget', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('fails synth listing every violation at once, each with its path and arithmetic', () => {
    const app = new App();
    new TestService(app, 'clientats-large', { database: SERVER_100('large-db'), replicas: 10, poolSize: 8, maxOverflow: 2 });
    new TestService(app, 'clientats-small', { database: SERVER_100('small-db'), replicas: 1, poolSize: 5 });
    new TestService(app, 'clientats-huge', { database: SERVER_100('huge-db'), replicas: 4, poolSize: 30, probeTimeoutSeconds: 1 });
    addConnectionBudget(app);
    expect(validationMessage(app)).toBe([
      'Validation failed with the following errors:',
      '  [clientats-large] worst case 143 > 97 usable (max_connections 100 − 3 reserved): 13 pods (10 replicas + 3 surge) × (1 pool × (8 + 2) + 1 probe)',
      '  [clientats-huge] worst case 155 > 97 usable (max_connections 100 − 3 reserved): 5 pods (4 replicas + 1 surge) × (1 pool × (30 + 0) + 1 probe)',
      '  [clientats-huge] clientats-huge: readiness probe timeoutSeconds 1 must exceed READINESS_TIMEOUT_MS 1500 ms, or the probe gives up before the runtime answers 503: raise timeoutSeconds to 2 or lower READINESS_TIMEOUT_MS',
    ].join('\n'));
  });

  it('sums services and other clients sharing one database and reports the violation once', () => {
    const shared: DatabaseDeclaration = { ...SERVER_100('shared-db'), otherClients: [{ kind: 'other', name: 'migrations', connections: 5, description: 'migration job' }] };
    const app = new App();
    new TestService(app, 'web', { database: shared, replicas: 4, poolSize: 10 });
    new TestService(app, 'worker', { database: shared, replicas: 3, poolSize: 10 });
    addConnectionBudget(app);
    expect(validationMessage(app)).toBe([
      'Validation failed with the following errors:',
      '  [web] worst case 104 > 97 usable (max_connections 100 − 3 reserved) on database shared-db: web 5 pods (4 replicas + 1 surge) × (1 pool × (10 + 0) + 1 probe) = 55 + worker 4 pods (3 replicas + 1 surge) × (1 pool × (10 + 0) + 1 probe) = 44 + migrations 5 (migration job) = 5',
    ].join('\n'));
  });

  it('writes a deterministic Markdown and JSON report of an app that fits', () => {
    const app = new App();
    new TestService(app, 'web', { database: SERVER_100('web-db'), replicas: 2, poolSize: 10 });
    const budget = addConnectionBudget(app);
    expect(validationMessage(app)).toBe('no error');
    const directory = mkdtempSync(join(tmpdir(), 'budget-report-'));
    directories.push(directory);
    writeBudgetReport(directory, budget.report());
    const first = readFileSync(join(directory, 'connection-budget.json'), 'utf8');
    writeBudgetReport(directory, computeAppBudget(app));
    expect(readFileSync(join(directory, 'connection-budget.json'), 'utf8')).toBe(first);
    const report = JSON.parse(first) as { fits: boolean; databases: { totals: unknown; consumers: { artifact: string }[] }[] };
    expect(report.fits).toBe(true);
    expect(report.databases[0].totals).toEqual({ steady: 22, rollout: 33, strict: 44 });
    expect(report.databases[0].consumers[0].artifact).toBe('web.k8s.yaml');
    expect(readFileSync(join(directory, 'connection-budget.md'), 'utf8')).toContain('✅ fits: rollout 33 ≤ 97 usable, 64 spare');
  });

  it('fails when budgetConsumers() does not match the rendered manifest', () => {
    const app = new App();
    new TestService(app, 'web', { database: SERVER_100('web-db'), replicas: 4, declaredReplicas: 2, poolSize: 5 });
    addConnectionBudget(app);
    expect(validationMessage(app)).toBe('Validation failed with the following errors:\n  [web] budgetConsumers() counts 12 connections (steady) but the rendered manifest holds 24: the budget must read the values it writes');
  });

  it('fails when the grace period is shorter than an overridden shutdown drain', () => {
    const app = new App();
    new TestService(app, 'web', { database: SERVER_100('web-db'), replicas: 1, poolSize: 5, environment: { SHUTDOWN_DRAIN_MS: '30000' } });
    addConnectionBudget(app);
    expect(validationMessage(app)).toBe('Validation failed with the following errors:\n  [web] web: terminationGracePeriodSeconds 20 s must exceed SHUTDOWN_DELAY_MS 5000 + SHUTDOWN_DRAIN_MS 30000 = 35000 ms, or the process is killed before it drains: raise terminationGracePeriodSeconds to 36 s or lower the shutdown delays');
  });

  it('leaves an invalid workload to its own validation instead of repeating it', () => {
    const app = new App();
    new TestService(app, 'web', { database: SERVER_100('web-db'), replicas: 20, poolSize: 50, invalid: 'POOL_SIZE is wrong' });
    addConnectionBudget(app);
    expect(validationMessage(app)).toBe('Validation failed with the following errors:\n  [web] POOL_SIZE is wrong');
  });

  it('fails when a workload is added after the budget was registered', () => {
    const app = new App();
    addConnectionBudget(app);
    new TestService(app, 'late', { database: SERVER_100('late-db'), replicas: 1, poolSize: 5 });
    expect(validationMessage(app)).toBe('Validation failed with the following errors:\n  [] connection budget: workload late was added after addConnectionBudget(app): call it right before app.synth()');
  });
});
