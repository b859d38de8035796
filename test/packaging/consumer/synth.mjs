// A team's own cdk8s app, as it would be written against the installed packages.
import { App, Chart } from 'cdk8s';
import { PostgresBackedService, addConnectionBudget, synthesize, writeBudgetReport } from 'clientats-deploy';
import { createPool } from 'clientats-runtime';

const app = new App({ outdir: process.argv[2] });
new PostgresBackedService(new Chart(app, 'staging'), 'shop', {
  database: { name: 'shop-db', maxConnections: 100 },
  preset: 'small',
  replicas: 2,
});
const budget = addConnectionBudget(app);
const files = synthesize(app);
writeBudgetReport(app.outdir, budget.report());
console.log(JSON.stringify({ files, createPool: typeof createPool }));
