/**
 * Whose data a store read sees. With `tenant` set (multi-tenancy on), only records written for
 * that tenant — one tenant never reads another's data, not even spans written under the same
 * trace id. Without it (single tenant, the default), the read is not scoped.
 */
export interface ReadScope {
  readonly tenant?: string;
}

/** True when a record written for `recordTenant` is visible to a read in `scope`. */
export function inScope(scope: ReadScope | undefined, recordTenant: string | undefined): boolean {
  return scope?.tenant === undefined || scope.tenant === recordTenant;
}
