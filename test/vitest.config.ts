import { suiteConfig } from '../runtime/vitest.config.js';

/** One suite for both packages (`npm test`): each test file runs once, against one shared PostgreSQL. */
export default suiteConfig(new URL('..', import.meta.url), [
  'test/**/*.test.ts',
  'runtime/test/**/*.test.ts',
]);
