/**
 * Taking a node out of service without resetting a keep-alive client.
 *
 * Node's `server.close()` (and Fastify's `close()`, which calls it) closes every
 * keep-alive socket that is idle *at that instant*. Under load, "idle" includes a
 * socket whose response just went out and whose client is sending the next request
 * right now: the request meets a closed socket and the client sees ECONNRESET
 * (measured: 25–27 of ~300,000 GETs per replacement at 16 connections). And Fastify
 * answers requests that arrive while it closes with 503. So a drain here:
 *
 * 1. stops accepting connections with net.Server's own close, which leaves the open
 *    sockets alone (in a node:cluster worker it also takes the worker out of the
 *    primary's round-robin);
 * 2. answers every request from then on — and the ones in flight — with
 *    `Connection: close`, so Node closes each busy socket right after its answer and
 *    the client, having read that header, opens its next connection elsewhere;
 * 3. closes an idle socket only once nothing can be racing onto it: when clients
 *    connect directly (a `up` worker), after it has been idle for the keep-alive
 *    timeout the node advertises (`Keep-Alive: timeout=N`), which a client honouring it
 *    never reaches; behind a gateway, at once — the node has already answered /readyz
 *    with 503 and said "draining" in the registry for the drain delay, so the gateway
 *    has stopped sending to it;
 * 4. cuts whatever is left when the drain's deadline passes.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export class ConnectionDrain {
  readonly #server: Server;
  readonly #sockets = new Set<HttpSocket>();
  #closing = false;

  constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: HttpSocket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Client connections open now. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Requests being answered now. */
  get inflight(): number {
    let n = 0;
    for (const s of this.#sockets) if (s._httpMessage) n++;
    return n;
  }

  /** Stop taking connections; every answer from now on closes its connection. */
  stopAccepting(): void {
    if (!this.#closing) {
      this.#closing = true;
      this.#server.prependListener('request', closeAfterAnswer);
      for (const s of this.#sockets) {
        const res = s._httpMessage;
        if (res && !res.headersSent) res.shouldKeepAlive = false;
      }
    }
    if (this.#server.listening) net.Server.prototype.close.call(this.#server);
  }

  /** Take connections again (an undrain): listen where we listened before. */
  async resumeAccepting(port: number, host: string): Promise<void> {
    if (this.#closing) {
      this.#server.off('request', closeAfterAnswer);
      this.#closing = false;
    }
    if (this.#server.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Resolves once every connection has closed, closing each one that stays idle (no
   * request under way, no byte received) for `idleCloseMs`; cuts the rest at `deadline`
   * (epoch ms).
   */
  async settled(deadline: number, idleCloseMs: number): Promise<{ cut: number }> {
    const idle = new Map<HttpSocket, { since: number; bytesRead: number }>();
    while (this.#sockets.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const s of this.#sockets) {
        const seen = idle.get(s);
        if (s._httpMessage || (seen && seen.bytesRead !== s.bytesRead)) idle.delete(s);
        else if (!seen) idle.set(s, { since: now, bytesRead: s.bytesRead });
        if (!s._httpMessage && now - (idle.get(s)?.since ?? now) >= idleCloseMs) s.destroy();
      }
      await sleep(25);
    }
    const cut = this.#sockets.size;
    if (cut > 0) this.#server.closeAllConnections();
    return { cut };
  }
}

function closeAfterAnswer(_req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
}
