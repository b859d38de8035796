/**
 * What a graceful shutdown needs to know about an HTTP server's sockets.
 * Node's own `server.close()` destroys every "idle" connection at once, and
 * to Node a socket just accepted whose request is still on its way is idle:
 * the client had sent a request and sees ECONNRESET. Here a socket is *fresh*
 * until its first request arrives, *busy* while it has a request being
 * answered, and *idle* between keep-alive requests; only idle ones are closed
 * early, and shutdown waits for fresh and busy ones (bounded by its drain).
 */
import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The live sockets of one server. */
export interface OpenConnections {
  /** Requests being answered. */
  readonly requestsInFlight: number;
  /** Sockets accepted whose first request has not arrived yet. */
  readonly fresh: number;
  /** Stops accepting without cutting fresh sockets; resolves when every socket has closed. */
  stopListening(): Promise<void>;
  /** Destroys the sockets idle between keep-alive requests (never fresh or busy ones). */
  closeIdle(): void;
  /** Resolves once no request is being answered and no fresh socket is waiting for its first one. */
  settled(): Promise<void>;
}

interface SocketState {
  requests: number;
  busy: number;
}

/** Tracks the sockets of `server`; call before it accepts connections. */
export function trackConnections(server: Server): OpenConnections {
  const sockets = new Map<Socket, SocketState>();
  let requestsInFlight = 0;
  let fresh = 0;
  const waiters: (() => void)[] = [];
  const check = (): void => {
    if (requestsInFlight === 0 && fresh === 0) for (const resolve of waiters.splice(0)) resolve();
  };

  server.on('connection', (socket: Socket) => {
    const state: SocketState = { requests: 0, busy: 0 };
    sockets.set(socket, state);
    fresh += 1;
    socket.once('close', () => {
      sockets.delete(socket);
      if (state.requests === 0) fresh -= 1;
      check();
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = sockets.get(request.socket);
    requestsInFlight += 1;
    if (state !== undefined) {
      if (state.requests === 0) fresh -= 1;
      state.requests += 1;
      state.busy += 1;
    }
    response.once('close', () => {
      requestsInFlight -= 1;
      if (state !== undefined) state.busy -= 1;
      check();
    });
  });

  let closed: Promise<void> | undefined;
  return {
    get requestsInFlight() {
      return requestsInFlight;
    },
    get fresh() {
      return fresh;
    },
    stopListening() {
      // net.Server's close: http.Server's would first destroy every socket Node deems idle, fresh ones included.
      closed ??= new Promise<void>((resolve) => {
        NetServer.prototype.close.call(server, () => resolve());
      });
      return closed;
    },
    closeIdle() {
      for (const [socket, state] of sockets) if (state.requests > 0 && state.busy === 0) socket.destroy();
    },
    settled() {
      return requestsInFlight === 0 && fresh === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push(resolve);
          });
    },
  };
}
