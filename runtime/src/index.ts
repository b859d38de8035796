/** clientats-runtime: the pool, the health server and the settings contract. */
export { loadSettings, validateEnvironment, SettingsError, perInstanceConnections } from './contract/index.js';
export type { Settings, SettingsProblem, Environment, SslMode } from './contract/index.js';
