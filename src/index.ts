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
export { synthesize, SynthError } from './synth/synthesize.js';

export type { SynthesizeOptions, SynthResult } from './synth/synthesize.js';
export type { DatabaseDeclaration } from './budget/budgeted-workload.js';
export { computeBudget, usableSlots, DEFAULT_SUPERUSER_RESERVED } from './budget/compute-budget.js';
export type { BudgetOptions, ConsumerBudget, DatabaseBudget, Figures } from './budget/compute-budget.js';
export { buildReport, formatJson, formatMarkdown, formatText, resultText } from './budget/budget-report.js';
export type { BudgetReport } from './budget/budget-report.js';
export { planHpaMax, planPoolSize } from './budget/plan-budget.js';
export type { PlannedService, PlanOptions, PlanResult, PlanSolve } from './budget/plan-budget.js';
export { findProvider, listProviders, providerLimits } from './budget/providers.js';
export type { ProviderPreset } from './budget/providers.js';
export type {
  BudgetMode,
  ComposeConsumer,
  Consumer,
  DatabaseLimits,
  HerokuConsumer,
  KubernetesConsumer,
  OtherClient,
  ProcessConnections,
  ProviderFacts,
  RolloutStrategy,
} from './budget/budget-types.js';
export { readManifests, BUDGET_REPORT_FILE } from './readers/read-manifests.js';
export type { InputFile, ManifestInputs, ReadManifestOptions } from './readers/read-manifests.js';
export { PgBouncer } from './pgbouncer/pgbouncer.js';
export type { PgBouncerProps, PgBouncerServer } from './pgbouncer/pgbouncer.js';
export { pgbouncerBudget } from './budget/pgbouncer-budget.js';
export type { PgbouncerBudget, PgbouncerBudgetInput } from './budget/pgbouncer-budget.js';
