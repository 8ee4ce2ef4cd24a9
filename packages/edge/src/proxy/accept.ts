// Accepts client connections as sockets that read into the edge's buffers (`onread`), which net.Server
// cannot do: Node creates accepted sockets itself and offers `onread` only to sockets the caller creates.
//
// This takes over the listening handle's `onconnection`, the one place Node turns an accepted handle into
// a net.Socket, and does what Node does there, adding `onread`. It relies on two Node internals: the
// server's `_handle.onconnection` and the `handle` option of `new net.Socket()` (both unchanged since
// Node 0.x and what net.Server itself uses). The runtime is pinned (package.json), `accept.test.ts` fails if
// either internal changes, and when they are missing the route falls back to Node's own accept path, which
// is correct and only slower (PERFORMANCE.md).
import { Socket, type Server } from 'node:net';

/** What an accepted libuv TCP handle offers; only what this module checks or calls. */
interface AcceptedHandle {
  useUserBuffer(buffer: Uint8Array): void;
  setNoDelay?(enable: boolean): number;
  close(): void;
}

interface ListeningHandle {
  onconnection: (this: ListeningHandle, err: number, client: AcceptedHandle | undefined) => void;
}

export interface OnreadOptions {
  readonly buffer: () => Uint8Array;
  readonly callback: (this: Socket, bytes: number, buffer: Uint8Array) => boolean;
}

/**
 * Once `server` listens, routes its accepted connections to `onSocket` as allowHalfOpen, no-delay sockets
 * reading through `onread`, instead of to the 'connection' event. False when Node's internals do not look
 * as expected: the server is left alone and keeps emitting 'connection'.
 */
export function acceptWithOnread(server: Server, onread: OnreadOptions, onSocket: (socket: Socket) => void): boolean {
  const handle = (server as unknown as { _handle?: Partial<ListeningHandle> | null })._handle;
  const nodeOnConnection = handle?.onconnection;
  if (handle === undefined || handle === null || typeof nodeOnConnection !== 'function') return false;
  handle.onconnection = function onconnection(err, client) {
    if (err !== 0 || client === undefined || typeof client.useUserBuffer !== 'function') {
      nodeOnConnection.call(this, err, client);
      return;
    }
    const socket = new Socket({ handle: client, allowHalfOpen: true, readable: true, writable: true, onread } as unknown as ConstructorParameters<typeof Socket>[0]);
    client.setNoDelay?.(true);
    onSocket(socket);
  };
  return true;
}
