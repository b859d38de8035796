/**
 * Responses built once and written many times: the probe endpoints answer
 * from prepared bytes and header arrays, so a probe costs no JSON encoding
 * and no header object walk.
 */
import type { ServerResponse } from 'node:http';

/** Status, flat header list and body, ready to write. */
export interface PreparedResponse {
  readonly status: number;
  /** `[name, value, name, value, …]` as `writeHead` accepts it. */
  readonly headers: readonly string[];
  readonly body: Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Prepares a JSON response; `extraHeaders` come as name/value pairs. */
export function prepareJson(
  status: number,
  value: unknown,
  extraHeaders: readonly string[] = [],
): PreparedResponse {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  return {
    status,
    headers: [
      'Content-Type',
      JSON_TYPE,
      'Content-Length',
      String(body.length),
      'Cache-Control',
      'no-store',
      ...extraHeaders,
    ],
    body,
  };
}

/** Writes a prepared response (Node leaves the body out for HEAD requests). */
export function send(response: ServerResponse, prepared: PreparedResponse): void {
  response.writeHead(prepared.status, prepared.headers as string[]);
  response.end(prepared.body);
}

/** Builds and writes a JSON response in one go, for endpoints whose body changes on every call. */
export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  extraHeaders: readonly string[] = [],
): void {
  send(response, prepareJson(status, value, extraHeaders));
}
