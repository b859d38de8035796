import { describe, expect, it } from 'vitest';
import { connectionPoolDashboard } from '../../src/observability/index.js';
import { BOUNCED_ENVIRONMENT, KUBERNETES_ENVIRONMENT } from './observability-fixtures.js';

interface PanelJson {
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: readonly { expr?: string; refId?: string; legendFormat?: string }[];
  readonly gridPos?: { x: number; y: number; w: number; h: number };
}

const model = connectionPoolDashboard(KUBERNETES_ENVIRONMENT);
const panels = (model.panels ?? []) as unknown as PanelJson[];
const graphs = panels.filter((panel) => panel.type !== 'row');
const panel = (title: string): PanelJson => graphs.find((entry) => entry.title?.startsWith(title))!;
const legends = (entry: PanelJson): string[] =>
  (entry.targets ?? []).map((target) => target.legendFormat ?? '');

describe('connectionPoolDashboard', () => {
  it('draws connections against the budget share, the per-instance bound, usable and max_connections', () => {
    expect(legends(panel('In use and idle in kubernetes (budgeted share 81)'))).toEqual([
      'in use',
      'idle',
      'readiness and opening',
      'budgeted share (81)',
    ]);
    expect(panel('In use and idle').targets!.at(-1)!.expr).toBe('vector(81)');
    expect(legends(panel('Per instance (bound 27)'))).toEqual([
      '{{instance}} {{pod}}',
      'bound the pods report',
      'per-instance bound (27)',
    ]);
    expect(
      panel('Database clientats-db (usable 97, max_connections 100)').targets!.map((target) => target.expr),
    ).toEqual([
      'sum by (environment) (db_connections_open{database="clientats-db"})',
      'vector(97)',
      'vector(100)',
    ]);
    expect(legends(panel('Checkout wait (POOL_TIMEOUT 5 s)'))).toEqual([
      'p50',
      'p95',
      'p99',
      'POOL_TIMEOUT (5 s)',
    ]);
  });

  it('has the timeouts, errors, overflow and readiness panels a 3 a.m. look needs', () => {
    expect(graphs.map((entry) => entry.title)).toEqual([
      'In use and idle in kubernetes (budgeted share 81)',
      'Per instance (bound 27)',
      'Database clientats-db (usable 97, max_connections 100)',
      'Checkout wait (POOL_TIMEOUT 5 s)',
      'Callers waiting for a connection',
      'Query duration',
      'Checkout timeouts',
      'Connection errors',
      'Failed queries',
      'Overflow (MAX_OVERFLOW 3 per pool)',
      'Readiness: database reachable',
    ]);
    expect(panels.filter((entry) => entry.type === 'row').map((entry) => entry.title)).toEqual([
      'Connections against the budget',
      'Waiting and latency',
      'Timeouts and errors',
      'Overflow and readiness',
    ]);
  });

  it('queries the datasource variable, with a refId per target and no overlapping panels', () => {
    expect(model.templating?.list?.[0]).toMatchObject({
      type: 'datasource',
      name: 'datasource',
      query: 'prometheus',
    });
    const cells = new Set<string>();
    for (const entry of graphs) {
      expect(entry.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const refIds = (entry.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size, entry.title).toBe(refIds.length);
      expect(
        refIds.every((refId) => refId !== undefined),
        entry.title,
      ).toBe(true);
      const { x, y, w, h } = entry.gridPos!;
      for (let column = x; column < x + w; column += 1) {
        for (let row = y; row < y + h; row += 1) {
          expect(cells.has(`${column},${row}`), entry.title).toBe(false);
          cells.add(`${column},${row}`);
        }
      }
      expect(x + w).toBeLessThanOrEqual(24);
    }
  });

  it(
    'gets a PgBouncer row behind a bouncer: clients against max_client_conn, ' +
      'server connections against the budget, max wait',
    () => {
      const bounced = (
        (connectionPoolDashboard(BOUNCED_ENVIRONMENT).panels ?? []) as unknown as PanelJson[]
      ).filter((entry) => entry.type !== 'row' || entry.title?.startsWith('PgBouncer'));
      const find = (title: string): PanelJson => bounced.find((entry) => entry.title?.startsWith(title))!;
      const exprs = (entry: PanelJson): string[] => (entry.targets ?? []).map((target) => target.expr ?? '');
      const tier = 'environment="kubernetes-pgbouncer",pgbouncer="clientats-pgbouncer"';
      expect(bounced.map((entry) => entry.title)).toContain('PgBouncer clientats-pgbouncer');
      expect(
        exprs(find('Client tier of PgBouncer clientats-pgbouncer (max_client_conn 550 per bouncer)')),
      ).toEqual([
        'sum by (environment) (db_connections_open{pgbouncer="clientats-pgbouncer"})',
        'vector(550)',
        'vector(1100)',
      ]);
      expect(bounced.some((entry) => entry.title?.startsWith('Database '))).toBe(false);
      expect(exprs(find('Clients per bouncer (max_client_conn 550)'))).toEqual([
        `sum by (instance, pod) (pgbouncer_used_clients{${tier}})`,
        `max(pgbouncer_config_max_client_connections{${tier}})`,
        'vector(550)',
      ]);
      expect(exprs(find('Clients active and waiting'))).toEqual([
        `sum(pgbouncer_pools_client_active_connections{${tier},database!="pgbouncer"})`,
        `sum(pgbouncer_pools_client_waiting_connections{${tier},database!="pgbouncer"})`,
      ]);
      expect(legends(find('Server connections (budget 75, 25 per bouncer)'))).toEqual([
        'all bouncers',
        '{{instance}} {{pod}}',
        'tier budget (75)',
        'per bouncer (25)',
      ]);
      expect(exprs(find('Longest client wait (query_wait_timeout 5 s)'))).toEqual([
        `max by (instance, pod) (pgbouncer_pools_client_maxwait_seconds{${tier},database!="pgbouncer"})`,
        'vector(5)',
      ]);
      expect(exprs(find('Bouncers the exporter reaches'))).toEqual([
        `max by (instance, pod) (pgbouncer_up{${tier}})`,
      ]);
      expect(panels.some((entry) => entry.title?.startsWith('PgBouncer'))).toBe(false);
    },
  );
});
