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

export class OperationIndex {
  private readonly byService = new Map<string, Map<string, Counted>>();

  add(service: string, name: string, kind: SpanKind): void {
    let ops = this.byService.get(service);
    if (ops === undefined) {
      ops = new Map();
      this.byService.set(service, ops);
    }
    const key = operationKey(name, kind);
    const counted = ops.get(key);
    if (counted === undefined) ops.set(key, { operation: { name, spanKind: kind }, count: 1 });
    else counted.count++;
  }

  remove(service: string, name: string, kind: SpanKind): void {
    const ops = this.byService.get(service);
    if (ops === undefined) return;
    const key = operationKey(name, kind);
    const counted = ops.get(key);
    if (counted === undefined) return;
    if (--counted.count > 0) return;
    ops.delete(key);
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
    for (const { operation } of ops.values()) {
      if (spanKind === undefined || operation.spanKind === spanKind) out.push(operation);
    }
    return out.sort((a, b) => compareStrings(a.name, b.name) || a.spanKind - b.spanKind);
  }
}

function operationKey(name: string, kind: SpanKind): string {
  return `${kind}\u0000${name}`;
}

/** Code-unit order, the same everywhere (localeCompare would depend on the host's locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
