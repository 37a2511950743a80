/**
 * A worker's side of the fleet (fleet.ts): says `ready`, beats every HEARTBEAT_MS (from
 * the event loop, so a stuck loop shows as silence), asks the primary what only all
 * workers together know, and answers the primary's `local` ops with `onLocal`.
 */
import { PrimaryLinkError } from '../core/errors.js';
import { HEARTBEAT_MS, isToWorker, type ToPrimary, type ToWorker } from './protocol.js';

/** Longer than the primary's own fan-out timeout, so its answer (or error) arrives first. */
const ASK_TIMEOUT_MS = 8_000;

export type LocalHandler = (op: unknown) => unknown;

export class PrimaryLink {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #onLocal: LocalHandler = () => null;
  #beat: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (m: ToPrimary) => void = (m) => {
      if (process.connected) process.send!(m);
    },
  ) {
    process.on('message', (m: unknown) => {
      if (isToWorker(m)) this.onMessage(m);
    });
  }

  /** Starts answering the primary's `local` ops. */
  answer(handler: LocalHandler): void {
    this.#onLocal = handler;
  }

  /** This worker serves: tells the primary, and beats from now on, each beat with `report()` when given. */
  ready(info: unknown, report?: () => unknown): void {
    this.#post({ ms: 'ready', info });
    clearInterval(this.#beat);
    this.#beat = setInterval(() => {
      if (!report) return this.#post({ ms: 'beat' });
      // A report that fails still beats: the worker is alive, its numbers are what is missing.
      Promise.resolve()
        .then(report)
        .then(
          (r) => this.#post({ ms: 'beat', report: r }),
          () => this.#post({ ms: 'beat' }),
        );
    }, HEARTBEAT_MS);
    // The beat must not keep a draining worker alive.
    this.#beat.unref();
  }

  stopBeating(): void {
    clearInterval(this.#beat);
  }

  ask(op: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new PrimaryLinkError(`the primary process did not answer within ${ASK_TIMEOUT_MS / 1000} s`));
      }, ASK_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.send({ ms: 'ask', id, op });
      } catch (err) {
        this.#pending.delete(id);
        clearTimeout(timer);
        reject(new PrimaryLinkError(`cannot reach the primary process: ${(err as Error).message}`));
      }
    });
  }

  onMessage(m: ToWorker): void {
    if (m.ms === 'local') {
      const { id } = m;
      Promise.resolve()
        .then(() => this.#onLocal(m.op))
        .then(
          (result) => {
            if (id !== 0) this.#post({ ms: 'local-answer', id, result: result ?? null });
          },
          // The primary leaves a worker that does not answer out of the merged answer.
          () => undefined,
        );
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return; // answered after our timeout
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new PrimaryLinkError(m.error));
  }

  #post(m: ToPrimary): void {
    try {
      this.send(m);
    } catch {
      // The channel is closing: the primary is gone or stopping us; nothing to tell it.
    }
  }
}
