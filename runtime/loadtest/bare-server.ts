/**
 * The baseline of the load test: the example's same clients handler on bare
 * `node:http` + `pg.Pool`, sized to the runtime's bound, with the health
 * endpoints written the naive way (readiness queries through the same pool).
 * Env: DATABASE_URL, PORT, POOL_MAX, POOL_TIMEOUT. Prints "listening" when up.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { createClientsHandler } from '../example/clients-handler.js';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL_MAX ?? '10'),
  connectionTimeoutMillis: Number(process.env.POOL_TIMEOUT ?? '5000'),
  application_name: 'loadtest-bare',
});
pool.on('error', () => undefined);
const handler = createClientsHandler(pool);
const server = createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (request.url === '/health/ready') {
    pool.query('SELECT 1').then(
      () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}'),
      () => response.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unhealthy"}'),
    );
    return;
  }
  handler(request, response).catch((error: Error) => {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const timeout = /timeout/i.test(error.message);
    response.writeHead(timeout ? 503 : 500, { 'content-type': 'application/json' }).end('{"status":"error"}');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write('listening\n');
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end();
});
