// One backend of one route: its health, whether it drains, and the connections forwarded to it.
import type { TcpNetConnectOpts } from 'node:net';
import type { SocketAddress } from '../config/address.ts';
import { formatSocketAddress } from '../config/address.ts';

/** A forwarded connection as its backend sees it: it can be cut, and it reports what it buffers. */
export interface ForwardedConnection {
  destroy(): void;
  /** Bytes held in user space for this connection (both sockets, both directions). */
  bufferedBytes(): number;
}

export class Backend {
  readonly address: SocketAddress;
  readonly key: string;
  /** What every connect to it passes: an IP literal with its family, so no lookup runs; built once. */
  readonly connectOptions: TcpNetConnectOpts;
  healthy = true;
  reason: string;
  draining = false;
  readonly connections = new Set<ForwardedConnection>();
  /** Connects in flight: a drain waits for them, since they may still become connections. */
  #connecting = 0;
  /** The drain grace ran out: connections still arriving are cut at once. */
  #cut = false;
  #drainTimer: NodeJS.Timeout | undefined;
  #onIdle: (() => void) | undefined;

  constructor(address: SocketAddress, hasHealthCheck: boolean) {
    this.address = address;
    this.key = formatSocketAddress(address);
    this.connectOptions = { host: address.host, port: address.port, family: address.family, allowHalfOpen: true, noDelay: true };
    this.reason = hasHealthCheck ? 'not checked yet' : 'no health check configured';
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  /** Whether the balancer may send it new connections. */
  get available(): boolean {
    return this.healthy && !this.draining;
  }

  beginConnect(): void {
    this.#connecting += 1;
  }

  /** Ends a connect attempt; `conn` is the connection it became, if it succeeded. */
  endConnect(conn: ForwardedConnection | undefined): void {
    this.#connecting -= 1;
    if (conn !== undefined) {
      this.connections.add(conn);
      if (this.#cut) conn.destroy();
    }
    this.#checkIdle();
  }

  detach(conn: ForwardedConnection): void {
    this.connections.delete(conn);
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.draining && this.connections.size === 0 && this.#connecting === 0) this.#finishDrain();
  }

  /**
   * Stops new connections at once; established ones may finish within `graceMs`, then are cut.
   * `onDrained` runs once when the last connection has gone.
   */
  drain(graceMs: number, onDrained: () => void): void {
    this.draining = true;
    this.#onIdle = onDrained;
    this.#drainTimer = setTimeout(() => {
      this.#cut = true;
      for (const c of [...this.connections]) c.destroy();
    }, graceMs);
    this.#checkIdle();
  }

  /** Takes a draining backend back into service (it was re-added before its drain ended). */
  undrain(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#onIdle = undefined;
    this.#cut = false;
    this.draining = false;
  }

  #finishDrain(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    const done = this.#onIdle;
    this.#onIdle = undefined;
    done?.();
  }
}
