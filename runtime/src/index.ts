/** clientats-runtime: the pool, the health server and the settings contract. */
export {
  loadSettings,
  validateEnvironment,
  SettingsError,
  perInstanceConnections,
} from './contract/index.js';
export type { Settings, SettingsProblem, Environment, SslMode } from './contract/index.js';
export { createPool } from './pool/create-pool.js';
export { Pool, mapPoolConfig } from './pool/pg-pool.js';
export { probeClientConfig } from './pool/client-config.js';
export { PoolTimeoutError, PoolEndedError, ConnectError } from './pool/pool-errors.js';
export type {
  ClientAtsPool,
  PooledClient,
  PoolOptions,
  PoolObserver,
  PoolSnapshot,
  PoolPartitionSnapshot,
  CloseReason,
  Logger,
  QueryCallback,
  ConnectCallback,
  EndOptions,
} from './pool/pool-types.js';
export { createHealthServer } from './health/health-server.js';
export type { HealthServer, HealthServerOptions } from './health/health-server.js';
export type { ReadinessResult } from './health/readiness-checker.js';
export type { InsightThresholds } from './health/performance-insights.js';
export { createPoolMetrics } from './metrics/pool-metrics.js';
export type { PoolMetrics } from './metrics/pool-metrics.js';
export { createLogger } from './logging/create-logger.js';
export { startRuntime } from './process/start-runtime.js';
export type { RuntimeOptions } from './process/start-runtime.js';
export { respondToError } from './app/error-response.js';
export type { ApplicationFactory, ApplicationContext, RequestListener } from './app/application.js';
