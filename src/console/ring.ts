/** A fixed number of the latest values, oldest first: pushing onto a full ring drops the oldest. */
export class Ring<T> {
  readonly #values: T[] = [];
  #start = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.#values.length;
  }

  push(value: T): void {
    if (this.#values.length < this.capacity) {
      this.#values.push(value);
      return;
    }
    this.#values[this.#start] = value;
    this.#start = (this.#start + 1) % this.capacity;
  }

  last(): T | undefined {
    if (this.#values.length === 0) return undefined;
    return this.#values[(this.#start + this.#values.length - 1) % this.#values.length];
  }

  toArray(): T[] {
    return [...this.#values.slice(this.#start), ...this.#values.slice(0, this.#start)];
  }
}
