/** A bounded list of the newest items (recent logins, log errors, the chart's samples). */
export class Ring<T> {
  readonly #items: T[] = [];

  constructor(private readonly capacity: number) {}

  /** Adds an item, dropping the oldest past the capacity. */
  add(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.capacity) this.#items.shift();
  }

  /** The items, oldest first. */
  items(): T[] {
    return [...this.#items];
  }
}
