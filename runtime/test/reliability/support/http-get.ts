/**
 * One HTTP GET on a fresh TCP connection (no keep-alive pool), reporting either
 * the whole answer or the network error and how many bytes of an answer had
 * arrived, so a scenario can tell "refused" from "cut short".
 */
import { request } from 'node:http';

/** A whole answer, or the error that ended the exchange. */
export type GetOutcome =
  { status: number; body: string; complete: boolean } | { error: string; bytes: number };

/** One HTTP GET on a fresh connection: the status and whole body, or the network error code. */
export function get(url: string, headers: Record<string, string> = {}): Promise<GetOutcome> {
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      { agent: false, headers: { connection: 'close', ...headers }, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            complete: response.complete,
          }),
        );
        response.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ error: error.code ?? error.message, bytes: Buffer.concat(chunks).length }),
        );
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
    outgoing.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message, bytes: 0 }),
    );
    outgoing.end();
  });
}
