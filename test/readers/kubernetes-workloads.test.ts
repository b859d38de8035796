/**
 * Every Kubernetes kind that runs pods is counted or refused, never skipped,
 * through the whole `check` command: exit code and the line that matters.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestFolder, podTemplate, runCheck } from '../support/run-check.js';

const folder = new ManifestFolder();
afterAll(() => folder.remove());

/** POOL_SIZE 30, nothing else: 31 connections per pod with the readiness connection. */
const POOL_30 = { POOL_SIZE: '30' };

function workload(kind: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  const apiVersion = kind === 'Pod' ? 'v1' : kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  return { apiVersion, kind, metadata: { name }, spec };
}

async function check(name: string, objects: readonly unknown[], ...flags: string[]) {
  return runCheck('check', folder.write(name, objects), '--max-connections', '100', ...flags);
}

describe('check counts every workload kind', () => {
  it('counts a Deployment with its default 25 % surge', async () => {
    const result = await check('deployment.yaml', [
      workload('Deployment', 'web', { replicas: 3, template: podTemplate(POOL_30) }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  OVER BUDGET by 27: worst case 124 > 97 usable (max_connections 100 − 3 reserved): ' +
        '4 pods (3 replicas + 1 surge) × (1 pool × (30 + 0) + 1 probe)\n',
    );
  });

  it('counts a StatefulSet, replaced one by one without surge', async () => {
    const result = await check('statefulset.yaml', [
      workload('StatefulSet', 'db-writer', { replicas: 5, template: podTemplate(POOL_30) }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  OVER BUDGET by 58: worst case 155 > 97 usable (max_connections 100 − 3 reserved): ' +
        '5 pods (5 replicas, StatefulSet: replaced one by one) × (1 pool × (30 + 0) + 1 probe)\n',
    );
  });

  it('counts a ReplicaSet at its replicas', async () => {
    const result = await check('replicaset.yaml', [
      workload('ReplicaSet', 'web', { replicas: 2, template: podTemplate(POOL_30) }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  web rollout: 2 pods (2 replicas, ReplicaSet: no rollout) × (1 pool × (30 + 0) + 1 probe) ' +
        '= 62 (60 pool + 2 probe)\n',
    );
  });

  it('counts a DaemonSet on the nodes given with --nodes', async () => {
    const result = await check(
      'daemonset.yaml',
      [workload('DaemonSet', 'agent', { template: podTemplate(POOL_30) })],
      '--nodes',
      '4',
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  OVER BUDGET by 27: worst case 124 > 97 usable (max_connections 100 − 3 reserved): ' +
        '4 pods (4 nodes, no surge) × (1 pool × (30 + 0) + 1 probe)\n',
    );
  });

  it('fails when a DaemonSet connects and no node count is given', async () => {
    const file = folder.write('daemonset-no-nodes.yaml', [
      workload('DaemonSet', 'agent', { template: podTemplate(POOL_30) }),
    ]);
    expect(await runCheck('check', file, '--max-connections', '100')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `clientats-deploy: ${file}: DaemonSet "agent" runs one pod per node and connects to the ` +
        `database: give the node count with --nodes N\n`,
    });
  });

  it('counts a bare Pod once', async () => {
    const result = await check('pod.yaml', [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug' }, spec: podTemplate(POOL_30).spec },
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  debug rollout: 1 pod × (1 pool × (30 + 0) + 1 probe) = 31 (30 pool + 1 probe)\n',
    );
  });

  it('counts a Job at its parallelism', async () => {
    const result = await check('job.yaml', [
      workload('Job', 'import', { parallelism: 3, template: podTemplate(POOL_30) }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  import rollout: 3 pods (Job parallelism 3) × (1 pool × (30 + 0) + 1 probe) = 93 (90 pool + 3 probe)\n',
    );
  });

  it('counts two overlapping runs of a CronJob unless concurrencyPolicy is Forbid', async () => {
    const cron = (policy?: string) =>
      workload('CronJob', 'report', {
        schedule: '*/5 * * * *',
        ...(policy === undefined ? {} : { concurrencyPolicy: policy }),
        jobTemplate: { spec: { parallelism: 2, template: podTemplate(POOL_30) } },
      });
    const allowed = await check('cronjob.yaml', [cron()]);
    expect(allowed.code).toBe(1);
    expect(allowed.stdout).toContain(
      '  OVER BUDGET by 27: worst case 124 > 97 usable (max_connections 100 − 3 reserved): ' +
        '4 pods (2 overlapping runs × parallelism 2) × (1 pool × (30 + 0) + 1 probe)\n',
    );
    const forbidden = await check('cronjob-forbid.yaml', [cron('Forbid')]);
    expect(forbidden.code).toBe(0);
    expect(forbidden.stdout).toContain(
      '  report rollout: 2 pods (parallelism 2, concurrencyPolicy Forbid) × (1 pool × (30 + 0) ' +
        '+ 1 probe) = 62 (60 pool + 2 probe)\n',
    );
  });

  it('counts the HPA max of a StatefulSet', async () => {
    const result = await check('statefulset-hpa.yaml', [
      workload('StatefulSet', 'web', { replicas: 1, template: podTemplate(POOL_30) }),
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' },
          minReplicas: 1,
          maxReplicas: 4,
        },
      },
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'worst case 124 > 97 usable (max_connections 100 − 3 reserved): 4 pods (4 HPA max, ' +
        'StatefulSet: replaced one by one)',
    );
  });

  it('counts a StatefulSet next to a Deployment in one file', async () => {
    const result = await check('mixed.yaml', [
      workload('Deployment', 'web', {
        replicas: 1,
        strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: podTemplate({ POOL_SIZE: '5' }),
      }),
      workload('StatefulSet', 'worker', { replicas: 5, template: podTemplate(POOL_30) }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '  OVER BUDGET by 64: worst case 161 > 97 usable (max_connections 100 − 3 reserved) ' +
        'on database database: web 1 pod (1 replica, no surge) × (1 pool × (5 + 0) + 1 probe) ' +
        '= 6 + worker 5 pods (5 replicas, StatefulSet: replaced one by one) × (1 pool × (30 + 0) ' +
        '+ 1 probe) = 155\n',
    );
  });

  it('fails when a kind it cannot size runs a container that connects', async () => {
    const file = folder.write('rollout.yaml', [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'web' },
        spec: { replicas: 3, template: podTemplate(POOL_30) },
      },
    ]);
    expect(await runCheck('check', file, '--max-connections', '100')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `clientats-deploy: ${file}: Rollout "web" container "app" connects to the database, ` +
        'but the budget cannot count the pods of a Rollout: check the Deployment, StatefulSet, ' +
        `ReplicaSet, ReplicationController, DaemonSet, Pod, Job, CronJob it renders to instead\n`,
    });
  });

  it('fails when replicas is a string, like any other non-integer', async () => {
    const file = folder.write('string-replicas.yaml', [
      workload('StatefulSet', 'web', { replicas: '3', template: podTemplate(POOL_30) }),
    ]);
    expect(await runCheck('check', file, '--max-connections', '100')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `clientats-deploy: ${file}: StatefulSet "web" spec.replicas must be an integer >= 0, ` +
        `got "3" (a string: write 3 without quotes)\n`,
    });
  });

  it('counts a workload that does not run clientats-runtime without the readiness connection', async () => {
    const result = await check('ecto.yaml', [
      workload('Deployment', 'ecto-app', {
        replicas: 3,
        strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template: podTemplate({ POOL_SIZE: '10' }, { 'clientats.dev/runtime': 'false' }),
      }),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  ecto-app rollout: 3 pods (3 replicas, no surge) × (1 pool × (10 + 0)) ' +
        '= 30 (30 pool + 0 probe), no readiness connection: not clientats-runtime\n',
    );
    expect(result.stdout).not.toContain('runtime checks');
  });
});

describe('check and init containers', () => {
  it('counts a native sidecar that connects and notes a one-off init container', async () => {
    const template = podTemplate({ POOL_SIZE: '5' }) as { spec: Record<string, unknown> };
    template.spec.initContainers = [
      {
        name: 'migrate',
        image: 'clientats:latest',
        env: [{ name: 'DATABASE_URL', value: 'postgres://db/app' }],
      },
      {
        name: 'exporter',
        image: 'exporter',
        restartPolicy: 'Always',
        env: [{ name: 'POOL_SIZE', value: '2' }],
      },
    ];
    const file = folder.write('init.yaml', [
      workload('Deployment', 'web', {
        replicas: 1,
        strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
        template,
      }),
    ]);
    const result = await runCheck('check', file, '--max-connections', '100');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  web/exporter rollout: 1 pod (1 replica, no surge) × (1 pool × (2 + 0) + 1 probe) = 3 (2 pool + 1 probe)\n',
    );
    expect(result.stdout).toContain(
      `note: ${file}: Deployment "web" init container "migrate" connects to the database before the ` +
        `app starts: not counted, declare it as an other client if it overlaps\n`,
    );
  });
});
