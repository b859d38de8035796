/** The runtime's settings contract, shared with the generator. */
export * from './environment-variables.js';
export * from './database-url.js';
export * from './load-settings.js';
export * from './connection-bound.js';
export * from './http-contract.js';
