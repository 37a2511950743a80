/**
 * nginx's "lingering close", for the API node and the gateway alike.
 *
 * A server that answers before it has read the whole request (a 413 for a body over
 * the limit, a 400 for broken framing) and then closes the socket at once leaves the
 * client's unread bytes in the kernel's receive buffer; closing such a socket makes
 * the kernel send a reset, not a FIN. The client's next write fails (EPIPE /
 * ECONNRESET), and the reset can throw away the answer it had not read yet: it never
 * learns why. nginx avoids this by lingering: after the answer it shuts down its own
 * sending side (FIN), keeps reading and throwing away what the client still sends for
 * a bounded time and size, and only then closes. So does this module.
 *
 * Leaf module: imports nothing of the project.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface LingerBounds {
  /** The whole linger, counted from the end of the answer. @default 5_000 */
  totalMs: number;
  /** No byte from the client for this long ends it. @default 1_000 */
  idleMs: number;
  /** At most this much is read and thrown away (counted from when the linger was arranged). @default 32 MiB */
  maxBytes: number;
}

export const DEFAULT_LINGER_TOTAL_MS = 5_000;
export const DEFAULT_LINGER_IDLE_MS = 1_000;
/** Covers any body a well-behaved client sends after a refusal (the 10 MB upload), not a firehose. */
export const DEFAULT_LINGER_MAX_BYTES = 32 * 1024 * 1024;
export const DEFAULT_LINGER: Readonly<LingerBounds> = {
  totalMs: DEFAULT_LINGER_TOTAL_MS,
  idleMs: DEFAULT_LINGER_IDLE_MS,
  maxBytes: DEFAULT_LINGER_MAX_BYTES,
};

/** Sockets closing lingering, and their state; gone with the socket. */
const lingering = new WeakMap<Socket, Linger>();

/**
 * Makes the connection that carries `res` close lingering once `res` is sent. Call it
 * before `res.end()`, on an answer given while the request body may still be coming.
 * If the headers are not out yet the answer will say `Connection: close`.
 */
export function closeLingering(res: ServerResponse, bounds: LingerBounds = DEFAULT_LINGER): void {
  // The request's socket: a response already sent has been detached from it.
  const socket = res.req?.socket ?? res.socket;
  if (!socket || socket.destroyed || lingering.has(socket)) return;
  const linger = new Linger(socket, bounds, res.req);
  lingering.set(socket, linger);
  if (!res.headersSent) res.shouldKeepAlive = false;
  // After a `Connection: close` answer Node's HTTP server ends the connection with
  // `socket.destroySoon()` (lib/_http_server.js, resOnFinish): FIN, then destroy as
  // soon as the FIN is written — with the client's body still arriving, that destroy
  // is the reset described above. Node has no option to wait; it calls `destroySoon`
  // only if the socket has one, so this socket gets its own, which lingers instead.
  (socket as Socket & { destroySoon: () => void }).destroySoon = linger.start;
  // Headers already sent as keep-alive (an upstream answered before the body was all
  // sent): Node will not close, so the linger starts when the answer is out.
  if (res.writableFinished) linger.start();
  else res.once('finish', linger.start);
  linger.discardBody();
}

/**
 * Ends `socket` with `answer`, raw bytes of a whole HTTP response (a request Node could
 * not parse has no ServerResponse), and closes it lingering. Whatever the client sends
 * meanwhile reaches Node's parser, which has failed and reports every chunk as another
 * 'clientError': the listener hands those to `absorbedByLinger`.
 */
export function endLingering(socket: Socket, answer: string, bounds: LingerBounds = DEFAULT_LINGER): void {
  if (socket.destroyed) return;
  const linger = new Linger(socket, bounds, undefined);
  lingering.set(socket, linger);
  socket.end(answer);
  linger.start();
}

/**
 * For a 'clientError' listener: true when `socket` is closing lingering, so the error is
 * about bytes the client sent after we answered — counted here, and nothing else to do.
 */
export function absorbedByLinger(socket: Socket): boolean {
  const linger = lingering.get(socket);
  if (!linger) return false;
  linger.observe();
  return true;
}

class Linger {
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #fromBytes: number;

  constructor(
    private readonly socket: Socket,
    private readonly bounds: LingerBounds,
    /** The request whose body is being thrown away; undefined for a raw answer. */
    private readonly req: IncomingMessage | undefined,
  ) {
    this.#fromBytes = socket.bytesRead;
  }

  /** Reads the rest of the request body, whatever the handler left the stream in, and drops it. */
  discardBody(): void {
    const req = this.req;
    if (!req || req.complete) return;
    req.on('data', this.observe);
    req.once('end', this.#bodyEnded);
    req.resume();
  }

  /** The answer is out: FIN after it, then read until the client is done or a bound is hit. */
  readonly start = (): void => {
    if (this.#started) return;
    this.#started = true;
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!socket.writableEnded) socket.end();
    // The body is all in: nothing is left unread, so close as Node would have.
    if (this.req?.complete) {
      this.#close();
      return;
    }
    this.#timer = setTimeout(this.#cut, this.bounds.totalMs);
    this.#timer.unref();
    // Node refreshes a server socket's timeout on every chunk its parser reads, failed or not.
    socket.setTimeout(this.bounds.idleMs, this.#cut);
    // The client closed its side: it has stopped sending, and has our answer and our FIN.
    socket.once('end', this.#close);
    socket.once('close', () => clearTimeout(this.#timer));
  };

  readonly observe = (): void => {
    if (this.socket.bytesRead - this.#fromBytes > this.bounds.maxBytes) this.#cut();
  };

  readonly #bodyEnded = (): void => {
    if (this.#started) this.#close();
  };

  /** Destroy once what we wrote has been flushed, as Node's own `destroySoon` does. */
  readonly #close = (): void => {
    const socket = this.socket;
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  };

  readonly #cut = (): void => {
    this.socket.destroy();
  };
}
