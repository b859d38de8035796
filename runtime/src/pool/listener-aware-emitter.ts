/**
 * An `EventEmitter` that knows, without a lookup, whether its hot-path events
 * have listeners. The pool emits `acquire` on every checkout and `release` on
 * every return, where usually nobody listens; `emit()` and `listenerCount()`
 * both look the event up in the listeners' dictionary (about 20 ns each), so
 * the hot path reads `listening` instead and emits only when it is true.
 *
 * Every way Node offers to add or remove a listener (`on`, `addListener`,
 * `once`, `prependListener`, `prependOnceListener`, `off`, `removeListener`,
 * `removeAllListeners`, a `once` listener removing itself) goes through one
 * of the methods overridden here, which recount after the change.
 */
import { EventEmitter } from 'node:events';

/** The events the pool emits on its hot path. */
export type HotPathEvent = 'acquire' | 'release';

/** What `EventEmitter` itself accepts as a listener. */
type Listener = Parameters<EventEmitter['on']>[1];

/** An `EventEmitter` whose `listening` flags say whether `acquire` and `release` have listeners. */
export class ListenerAwareEmitter extends EventEmitter {
  /** True while the event has at least one listener. */
  readonly listening: Record<HotPathEvent, boolean> = { acquire: false, release: false };

  override addListener(event: string | symbol, listener: Listener): this {
    super.addListener(event, listener);
    return this.recount(event);
  }

  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    return this.recount(event);
  }

  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    return this.recount(event);
  }

  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    return this.recount(event);
  }

  /** Takes any listener (`ClientAtsPool.off`'s type), as `EventEmitter.off` does at run time. */
  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    super.off(event, listener as (...args: unknown[]) => void);
    return this.recount(event);
  }

  /** Without an argument removes every listener, as Node's does (an explicit `undefined` names no event). */
  override removeAllListeners(...event: [event?: string | symbol]): this {
    super.removeAllListeners(...event);
    this.recount('acquire');
    return this.recount('release');
  }

  private recount(event: string | symbol): this {
    if (event === 'acquire' || event === 'release') this.listening[event] = this.listenerCount(event) > 0;
    return this;
  }
}
