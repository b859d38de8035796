/**
 * A TCP link on loopback in front of a real server whose logins are slow, like
 * a server (or client) on a saturated CPU: every byte the server sends is held
 * for `delayMillis` until the connection has carried its first ReadyForQuery,
 * i.e. until the login finished; queries then pass at once. Order is kept.
 */
import { connect, createServer, type Socket } from 'node:net';

/** A running link. */
export interface SlowLoginLink {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** ReadyForQuery: 'Z', length 5 (the status byte follows). */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/** Starts a link to `targetHost:targetPort` on 127.0.0.1, any free port. */
export async function startSlowLoginLink(
  targetHost: string,
  targetPort: number,
  delayMillis: number,
): Promise<SlowLoginLink> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    let loggedIn = false;
    /** Chunks held back; sent together, in order, `delayMillis` after the first of them arrived. */
    const held: Buffer[] = [];
    /** The tail of what the server sent so far, to find a ReadyForQuery split across chunks. */
    let tail = Buffer.alloc(0);
    const release = (): void => {
      for (const chunk of held.splice(0)) if (!client.destroyed) client.write(chunk);
    };
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (loggedIn && held.length === 0) {
        client.write(chunk);
        return;
      }
      const seen = Buffer.concat([tail, chunk]);
      if (seen.includes(READY_FOR_QUERY)) loggedIn = true;
      tail = seen.subarray(Math.max(0, seen.length - READY_FOR_QUERY.length + 1));
      held.push(chunk);
      if (held.length === 1) setTimeout(release, delayMillis).unref();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
