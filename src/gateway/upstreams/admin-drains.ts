/**
 * The record of upstreams an operator drained through the admin API: references (URL,
 * host:port or registry node id), kept whether or not such an upstream is present right
 * now. An operator's drain must survive a machine flapping in discovery — removed, then
 * added again — so the record is by name, not by the Upstream object that was drained.
 *
 * Membership keeps one per gateway process and is the only one that applies it to
 * upstreams; a multi-worker gateway's primary keeps the cluster's record in one too and
 * hands it to every worker's Membership. A leaf: it imports nothing of the gateway.
 */

/** Something a reference can name: an upstream (upstream.ts). */
export interface Named {
  matches(ref: string): boolean;
}

export class AdminDrains {
  #refs: readonly string[] = [];

  get refs(): readonly string[] {
    return this.#refs;
  }

  /** Records `ref` as drained (once). */
  add(ref: string): void {
    if (!this.#refs.includes(ref)) this.#refs = [...this.#refs, ref];
  }

  /** Forgets every reference that names `target` (an upstream), or that equals it (a reference). */
  delete(target: string | Named): void {
    this.#refs = this.#refs.filter((ref) => (typeof target === 'string' ? ref !== target : !target.matches(ref)));
  }

  /** Makes exactly `refs` the drained ones. */
  replace(refs: readonly string[]): void {
    this.#refs = [...new Set(refs)];
  }

  covers(u: Named): boolean {
    return this.#refs.some((ref) => u.matches(ref));
  }
}
