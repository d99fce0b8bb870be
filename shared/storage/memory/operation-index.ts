/**
 * Services and their operations (name + kind), reference-counted by the spans that hold them, so
 * the lists shrink when evicted spans were the last of a service or operation: the memory store
 * stays bounded even when operation names have high cardinality.
 */
import type { SpanKind } from '../../model/span.js';
import type { Operation } from '../spanstore.js';

interface Counted {
  readonly operation: Operation;
  count: number;
}

/** One operation name's counts, indexed by span kind (0–5). */
type ByKind = (Counted | undefined)[];

export class OperationIndex {
  // Nested maps rather than one `kind + name` string key: building and hashing a fresh key
  // string for every stored span was a measurable part of the memory store's write cost.
  private readonly byService = new Map<string, Map<string, ByKind>>();

  add(service: string, name: string, kind: SpanKind): void {
    let ops = this.byService.get(service);
    if (ops === undefined) {
      ops = new Map();
      this.byService.set(service, ops);
    }
    let kinds = ops.get(name);
    if (kinds === undefined) {
      kinds = [undefined, undefined, undefined, undefined, undefined, undefined];
      ops.set(name, kinds);
    }
    const counted = kinds[kind];
    if (counted === undefined) kinds[kind] = { operation: { name, spanKind: kind }, count: 1 };
    else counted.count++;
  }

  remove(service: string, name: string, kind: SpanKind): void {
    const ops = this.byService.get(service);
    if (ops === undefined) return;
    const kinds = ops.get(name);
    if (kinds === undefined) return;
    const counted = kinds[kind];
    if (counted === undefined) return;
    if (--counted.count > 0) return;
    kinds[kind] = undefined;
    if (kinds.some((k) => k !== undefined)) return;
    ops.delete(name);
    if (ops.size === 0) this.byService.delete(service);
  }

  services(): string[] {
    return [...this.byService.keys()].sort(compareStrings);
  }

  /** Sorted by name, then kind; [] for an unknown service. */
  operations(service: string, spanKind?: SpanKind): Operation[] {
    const ops = this.byService.get(service);
    if (ops === undefined) return [];
    const out: Operation[] = [];
    for (const kinds of ops.values()) {
      for (const counted of kinds) {
        if (counted !== undefined && (spanKind === undefined || counted.operation.spanKind === spanKind)) out.push(counted.operation);
      }
    }
    return out.sort((a, b) => compareStrings(a.name, b.name) || a.spanKind - b.spanKind);
  }
}

/** Code-unit order, the same everywhere (localeCompare would depend on the host's locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
