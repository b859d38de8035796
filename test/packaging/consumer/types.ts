// Type-checked against the installed declarations (build/*.d.ts) by install-from-tarballs.test.ts, never run.
import { App, Chart } from 'cdk8s';
import { PostgresBackedService, computeBudget, type PostgresBackedServiceProps } from 'clientats-deploy';
import { createPool, type PoolOptions } from 'clientats-runtime';
import { DEFAULT_PORT } from 'clientats-runtime/contract';

const props: PostgresBackedServiceProps = {
  database: { name: 'shop-db', maxConnections: 100 },
  preset: 'small',
};
export const service: PostgresBackedService = new PostgresBackedService(
  new Chart(new App(), 'staging'),
  'shop',
  props,
);
export const functions: [typeof computeBudget, typeof createPool] = [computeBudget, createPool];
export const port: number = DEFAULT_PORT;
export type Options = PoolOptions;
