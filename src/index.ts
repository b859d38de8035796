/**
 * clientats-deploy as a library: the constructs a team's own cdk8s app
 * declares, `synthesize` (validate, then write manifests, files and nothing
 * else), and the connection budget API. This file only re-exports.
 */
export { PostgresBackedService } from './kubernetes/postgres-backed-service.js';
export type {
  PostgresBackedServiceProps,
  Autoscaling,
  RollingUpdateBounds,
  SecretKeyReference,
} from './kubernetes/postgres-backed-service.js';
export { ComposeProject } from './compose/compose-project.js';
export type {
  ComposeProjectProps,
  ComposeBase,
  ComposeSecretFromEnvironment,
} from './compose/compose-project.js';
export { HerokuApp } from './heroku/heroku-app.js';
export type { HerokuAppProps } from './heroku/heroku-app.js';
export type { PresetName } from './settings/presets.js';
export type { EnvironmentValue, EnvironmentValues } from './settings/rendered-environment.js';
export { synthesize, SynthError } from './synthesize.js';

export {
  addConnectionBudget,
  writeBudgetReport,
  BUDGET_REPORT_FILES,
} from './budget/connection-budget-validation.js';
export type { ConnectionBudget, ConnectionBudgetOptions } from './budget/connection-budget-validation.js';
export type { DatabaseDeclaration } from './budget/budgeted-workload.js';
export { computeBudget, consumerBudget, usableSlots } from './budget/compute-budget.js';
export type { BudgetOptions, ConsumerBudget, DatabaseBudget, Figures } from './budget/compute-budget.js';
export {
  buildReport,
  formatJson,
  formatMarkdown,
  formatText,
  reportProblems,
} from './budget/budget-report.js';
export type { BudgetReport } from './budget/budget-report.js';
export { planHpaMax, planPoolSize } from './budget/plan-budget.js';
export type { PlannedService, PlanOptions, PlanResult, PlanSolve } from './budget/plan-budget.js';
export { findProvider, listProviders, providerTarget } from './budget/providers.js';
export type { ProviderPreset } from './budget/providers.js';
export type {
  BudgetMode,
  ComposeConsumer,
  Consumer,
  DatabaseTarget,
  HerokuConsumer,
  KubernetesConsumer,
  OtherClient,
  ProcessConnections,
  ProviderFacts,
  RolloutStrategy,
} from './budget/budget-types.js';
