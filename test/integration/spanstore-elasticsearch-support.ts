/** Helpers the Elasticsearch span store tests share: unique index prefixes and their cleanup. */
import { randomBytes } from 'node:crypto';
import { errors, type Client } from '@elastic/elasticsearch';

/** A lower-case prefix no other test run uses, so its templates and indices never overlap. */
export function uniquePrefix(label: string): string {
  return `mt-test-${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes the prefix's indices (by name: wildcard deletes are refused by default in 8.x) and
 * its index templates.
 */
export async function dropIndexPrefix(client: Client, prefix: string): Promise<void> {
  const indices = await client.indices.get({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true, expand_wildcards: 'all' });
  const names = Object.keys(indices);
  if (names.length > 0) await client.indices.delete({ index: names });
  for (const signal of ['spans', 'services']) {
    try {
      await client.indices.deleteIndexTemplate({ name: `${prefix}-${signal}` });
    } catch (err) {
      if (!(err instanceof errors.ResponseError && err.statusCode === 404)) throw err;
    }
  }
}
