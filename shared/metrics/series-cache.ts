/**
 * A deriver's memory of the series it updated: label values → what it keeps per label set (its
 * registry series handles), in nested maps keyed by the values themselves. A hit builds no label
 * record and no key string, and allocates nothing: the per-span registry look-up (`slot`, a key
 * built and hashed per family and span) was a tenth of the derivers' CPU time.
 *
 * Bounded: past `maxEntries` nothing more is stored and callers take the uncached path, so the
 * label sets of a family at its series limit (folded into its overflow series) cannot grow it.
 */
export class SeriesCache<T> {
  private readonly root = new Map<string, unknown>();
  private entries = 0;

  /**
   * @param depth how many label values identify an entry (the same for every call)
   * @param maxEntries most entries held
   */
  constructor(private readonly depth: number, private readonly maxEntries: number) {
    if (!Number.isInteger(depth) || depth < 1) throw new Error(`series cache depth must be a positive integer, got ${depth}`);
  }

  get size(): number {
    return this.entries;
  }

  /** The entry of these values (the first `depth` of them), if held. */
  get(values: readonly string[]): T | undefined {
    let node = this.root;
    const last = this.depth - 1;
    for (let i = 0; i < last; i++) {
      const next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) return undefined;
      node = next;
    }
    return node.get(values[last]!) as T | undefined;
  }

  /** Holds `entry` for these values unless full; says whether it did. */
  set(values: readonly string[], entry: T): boolean {
    if (this.entries >= this.maxEntries) return false;
    let node = this.root;
    const last = this.depth - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map<string, unknown>();
        node.set(values[i]!, next);
      }
      node = next;
    }
    if (!node.has(values[last]!)) this.entries++;
    node.set(values[last]!, entry);
    return true;
  }
}
