/**
 * Helpers the Elasticsearch store tests share (span and access-log stores alike): unique index
 * prefixes and their cleanup, and metric sums. No vitest import: benches and the pipeline
 * support use it outside the test runner.
 */
import { randomBytes } from 'node:crypto';
import { errors, type Client } from '@elastic/elasticsearch';

/** A lower-case prefix no other test run uses, so its templates and indices never overlap. */
export function uniquePrefix(label: string): string {
  return `mt-test-${label}-${randomBytes(4).toString('hex')}`;
}

/** Deletes an index template; one that is already gone (or never was) is not an error. */
export async function deleteIndexTemplateIfPresent(client: Client, name: string): Promise<void> {
  try {
    await client.indices.deleteIndexTemplate({ name });
  } catch (err) {
    if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
  }
}

/**
 * Deletes the prefix's indices (by name: wildcard deletes are refused by default in 8.x) and
 * its index templates.
 */
export async function dropIndexPrefix(client: Client, prefix: string): Promise<void> {
  const indices = await client.indices.get({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true, expand_wildcards: 'all' });
  const names = Object.keys(indices);
  // In chunks: the names go into the request line, which Elasticsearch caps at 4 KiB.
  for (let i = 0; i < names.length; i += 20) await client.indices.delete({ index: names.slice(i, i + 20) });
  for (const signal of ['spans', 'services', 'dependencies']) await deleteIndexTemplateIfPresent(client, `${prefix}-${signal}`);
}

/** The sum of a prom-client metric's values whose labels include `labels` (and, given, named `name`). */
export async function metricValue(
  metric: { get(): Promise<{ values: Array<{ value: number; labels: object; metricName?: string }> }> },
  labels: Record<string, string>,
  name?: string,
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => (name === undefined || v.metricName === name) && Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}
