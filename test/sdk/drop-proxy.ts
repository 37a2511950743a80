/**
 * A TCP proxy in front of a real server that forwards every request and, for the ones
 * `drop` picks, resets the client's connection as the answer comes back: the server
 * did the work, the client never hears of it — a connection lost after the request
 * was sent, which is what a client must not blindly replay.
 */
import net from 'node:net';

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (\S+) HTTP\/1\.1\r$/gm;

export class DropProxy {
  /** "METHOD /path" of every request forwarded, in order. */
  readonly forwarded: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly target: URL,
    private readonly drop: (requestLine: string) => boolean,
  ) {
    this.server = net.createServer((client) => this.relay(client));
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  count(requestLine: string): number {
    return this.forwarded.filter((line) => line === requestLine).length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(Number(this.target.port), this.target.hostname);
    this.sockets.add(client).add(upstream);
    let doomed = false;
    client.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        const line = `${match[1]} ${match[2]}`;
        this.forwarded.push(line);
        if (this.drop(line)) doomed = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!doomed) {
        client.write(chunk);
        return;
      }
      client.resetAndDestroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
