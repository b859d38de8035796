/**
 * The clients API as a plain Node request listener over anything with
 * `query(text, values)`: the runtime's pool in production, a bare `pg.Pool`
 * in the load test's baseline (the same handler, so the comparison is fair).
 *
 *   GET  /clients?limit=20&after=0   a page of clients, by id
 *   GET  /clients/:id                one client, 404 when there is none
 *   POST /clients {"name","email"}   201 with the new client, 409 when the email is taken
 *
 * Database errors are not caught here: the runtime answers them (503 with
 * Retry-After when no connection came within POOL_TIMEOUT, 500 otherwise).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the handler needs from a pool. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A client as the API returns it. */
export interface Client {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly created_at: string;
}

const MAX_BODY_BYTES = 16_384;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
const COLUMNS = 'id::int AS id, name, email, created_at';

/** An answer for the client; thrown inside the handler, written by it. */
class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(error);
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

function positiveInteger(text: string | null, name: string, fallback: number, max = 2_147_483_647): number {
  if (text === null) return fallback;
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new HttpAnswer(
      400,
      `${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return Number(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpAnswer(
      415,
      `content-type must be application/json, got ${JSON.stringify(type.slice(0, 60))}`,
    );
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > MAX_BODY_BYTES)
      throw new HttpAnswer(413, `the body must be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpAnswer(400, 'the body must be a JSON object like {"name":"Ada","email":"ada@example.com"}');
  }
}

function newClient(body: unknown): { name: string; email: string } {
  const { name, email } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim().length < 1 || name.length > 200) {
    throw new HttpAnswer(
      400,
      `name must be a string of 1 to 200 characters, got ${JSON.stringify(name ?? null)?.slice(0, 60)}`,
    );
  }
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320) {
    throw new HttpAnswer(
      400,
      `email must be an address like ada@example.com, got ${JSON.stringify(email ?? null)?.slice(0, 60)}`,
    );
  }
  return { name: name.trim(), email: email.toLowerCase() };
}

/** The clients API as a request listener; its promise rejects on database errors. */
export function createClientsHandler(
  db: Queryable,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const routes = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((part) => part !== '');
    if (parts[0] !== 'clients' || parts.length > 2) throw new HttpAnswer(404, `no route for ${url.pathname}`);
    if (parts.length === 2) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpAnswer(405, 'only GET is allowed here', { Allow: 'GET, HEAD' });
      const id = positiveInteger(parts[1] ?? null, 'the client id', 0);
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM clients WHERE id = $1`, [id]);
      if (rows.length === 0) throw new HttpAnswer(404, `no client with id ${id}`);
      sendJson(response, 200, rows[0]);
      return;
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      const limit = positiveInteger(url.searchParams.get('limit'), 'limit', DEFAULT_PAGE, MAX_PAGE);
      const after = url.searchParams.has('after')
        ? positiveInteger(url.searchParams.get('after'), 'after', 0)
        : 0;
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM clients WHERE id > $1 ORDER BY id LIMIT $2`, [
        after,
        limit,
      ]);
      const last = rows.at(-1) as Client | undefined;
      sendJson(response, 200, {
        clients: rows,
        next: rows.length === limit && last !== undefined ? `/clients?limit=${limit}&after=${last.id}` : null,
      });
      return;
    }
    if (request.method === 'POST') {
      const { name, email } = newClient(await readJson(request));
      const { rows } = await db.query(
        `INSERT INTO clients (name, email) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING RETURNING ${COLUMNS}`,
        [name, email],
      );
      if (rows.length === 0)
        throw new HttpAnswer(409, `a client with email ${JSON.stringify(email)} already exists`);
      const created = rows[0] as Client;
      sendJson(response, 201, created, { Location: `/clients/${created.id}` });
      return;
    }
    throw new HttpAnswer(405, 'only GET and POST are allowed here', { Allow: 'GET, HEAD, POST' });
  };
  return async (request, response) => {
    try {
      await routes(request, response);
    } catch (error) {
      if (!(error instanceof HttpAnswer)) throw error;
      sendJson(response, error.status, { status: 'error', error: error.error }, error.headers);
    }
  };
}
