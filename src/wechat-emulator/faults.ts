/**
 * Injected failures, so a client's timeouts and error mapping can be tested against the
 * emulator: a delay before every WeChat answer, the next N calls answered with WeChat's
 * "system busy" (-1, which WeChat asks callers to retry later), and the next N
 * connections dropped without an answer. Only WeChat endpoints are affected, never the
 * `/_emulator/` knobs.
 */
export interface FaultSettings {
  /** Added before every WeChat answer (and before a drop). */
  delayMs: number;
  /** The next N WeChat calls answer `{errcode:-1}`. */
  failNext: number;
  /** The next N WeChat calls get their socket destroyed, no answer. */
  dropNext: number;
}

export type FaultAction = 'drop' | 'fail' | 'none';

/** At most 10 minutes: longer than any client timeout, short enough to end a test. */
export const MAX_DELAY_MS = 600_000;

export class Faults {
  #settings: FaultSettings = { delayMs: 0, failNext: 0, dropNext: 0 };

  get settings(): FaultSettings {
    return { ...this.#settings };
  }

  /** Replaces the given fields; the others keep their values. */
  update(patch: Partial<FaultSettings>): FaultSettings {
    this.#settings = { ...this.#settings, ...patch };
    return this.settings;
  }

  reset(): void {
    this.#settings = { delayMs: 0, failNext: 0, dropNext: 0 };
  }

  /** What to do with the call arriving now; drops are used up before failures. */
  take(): FaultAction {
    if (this.#settings.dropNext > 0) {
      this.#settings.dropNext--;
      return 'drop';
    }
    if (this.#settings.failNext > 0) {
      this.#settings.failNext--;
      return 'fail';
    }
    return 'none';
  }
}

/** Checks a `POST /_emulator/faults` body; returns an error message or the patch. */
export function parseFaultPatch(body: unknown): Partial<FaultSettings> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const patch: Partial<FaultSettings> = {};
  const limits: Record<keyof FaultSettings, number> = { delayMs: MAX_DELAY_MS, failNext: 1_000_000, dropNext: 1_000_000 };
  for (const [key, value] of Object.entries(body)) {
    if (!(key in limits)) return `unknown field ${JSON.stringify(key)} (expected delayMs, failNext, dropNext)`;
    const name = key as keyof FaultSettings;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > limits[name]) {
      return `${name} must be an integer from 0 to ${limits[name]}`;
    }
    patch[name] = value;
  }
  return patch;
}
