/**
 * Keeps this node in the store's node registry, which is how a gateway using
 * discovery finds it. A node that dies simply stops beating and drops out after
 * three missed beats; a draining node stays listed with `draining: true` so the
 * gateway stops sending new requests before the node goes away.
 */
import type { Logger } from '../logging.js';
import type { Store } from '../store/index.js';

export class RegistryHeartbeat {
  #timer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(
    private readonly store: Store,
    private readonly nodeId: string,
    private readonly url: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), this.intervalMs);
    this.#timer.unref();
  }

  async markDraining(): Promise<void> {
    this.#draining = true;
    await this.#beat();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.store.deregister(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'could not deregister'));
  }

  async #beat(): Promise<void> {
    try {
      await this.store.register(this.nodeId, {
        url: this.url, draining: this.#draining, pid: process.pid,
      }, this.intervalMs * 3);
    } catch (err) {
      this.log.warn({ err }, 'registry heartbeat failed');
    }
  }
}
