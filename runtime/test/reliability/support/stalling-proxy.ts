/**
 * A TCP proxy on loopback in front of a real server, whose answers can be held
 * back: `stall()` keeps every byte from the server until `flow()`. A request
 * made through it is then reliably "in flight" for as long as a test needs.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface StallingProxy {
  readonly port: number;
  /** Holds every byte the server sends from now on. */
  stall(): void;
  /** Delivers held bytes and lets the rest through. */
  flow(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a proxy to `targetHost:targetPort` on 127.0.0.1, any free port. */
export async function startStallingProxy(targetHost: string, targetPort: number): Promise<StallingProxy> {
  let stalled = false;
  const sockets = new Set<Socket>();
  const held: Array<{ to: Socket; chunk: Buffer }> = [];
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (stalled) held.push({ to: client, chunk });
      else client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    stall: () => {
      stalled = true;
    },
    flow: () => {
      stalled = false;
      for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
