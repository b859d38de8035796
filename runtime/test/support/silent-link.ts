/**
 * A TCP link on loopback in front of a real server that can go silent like a
 * broken network path: while silent it still accepts connections, but carries
 * no byte in either direction and opens nothing upstream; `restore()` delivers
 * what was held (as TCP retransmission would) and forwards from then on.
 * Connections a client gave up on meanwhile are dropped with it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running link. */
export interface SilentLink {
  readonly port: number;
  /** `postgres://` URL of `url` with its host and port replaced by the link's. */
  via(url: string): string;
  /** From now on, nothing passes (already open connections included). */
  silence(): void;
  /** Delivers what was held and forwards again. */
  restore(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
}

/** Starts a link to `targetHost:targetPort` on 127.0.0.1, any free port; `silent` to start silent. */
export async function startSilentLink(
  targetHost: string,
  targetPort: number,
  options: { silent?: boolean } = {},
): Promise<SilentLink> {
  let silent = options.silent ?? false;
  let accepted = 0;
  const pairs = new Set<Pair>();

  const openUpstream = (pair: Pair): void => {
    const upstream = connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('data', (chunk: Buffer) => {
      if (silent) pair.toClient.push(chunk);
      else pair.client.write(chunk);
    });
    upstream.on('close', () => pair.client.destroy());
    for (const chunk of pair.toUpstream.splice(0)) upstream.write(chunk);
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    const pair: Pair = { client, upstream: undefined, toUpstream: [], toClient: [] };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      if (silent || pair.upstream === undefined) pair.toUpstream.push(chunk);
      else pair.upstream.write(chunk);
    });
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (!silent) openUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    via(url: string) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    silence() {
      silent = true;
    },
    restore() {
      silent = false;
      for (const pair of pairs) {
        if (pair.client.destroyed) continue;
        if (pair.upstream === undefined) {
          openUpstream(pair);
          continue;
        }
        for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
        for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
      }
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
