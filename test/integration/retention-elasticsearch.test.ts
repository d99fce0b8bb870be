/**
 * Retention on a real Elasticsearch with a unique index prefix: it deletes exactly the daily
 * indices past each signal's days, a dry run lists the same set and deletes nothing, and today's
 * and future-dated indices survive whatever the settings.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOf, DAY_MS } from '../../shared/storage/elasticsearch/indices.js';
import { expiredIndices, RetentionJob } from '../../services/jobs/retention-job.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';

const now = Date.now();
const day = (offsetDays: number) => dayOf(now + offsetDays * DAY_MS);

describe('retention deletes expired daily indices by name', () => {
  const prefix = uniquePrefix('retention');
  const name = (signal: string, offsetDays: number) => `${prefix}-${signal}-${day(offsetDays)}`;
  const expectedExpired = [name('spans', -10), name('spans', -7), name('services', -8), name('dependencies', -100)].sort();
  const survivors = [
    name('spans', -6),
    name('spans', 0),
    name('spans', 1),
    name('spans', 400),
    name('services', 0),
    name('accesslogs', -300), // 0 days: kept forever
    name('dependencies', -89),
    `${prefix}-archive`,
    `${prefix}-spans-2024.02.30`, // not a real day
  ];
  let client: Client;
  const job = () =>
    new RetentionJob({ client, indexPrefix: prefix, days: { spans: 7, services: 7, accesslogs: 0, dependencies: 90 }, nowMs: () => now });
  const existing = async () => {
    const rows = await client.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' });
    return rows.map((r) => String(r.index)).sort();
  };

  beforeAll(async () => {
    await ensureServers(['elasticsearch']);
    client = new Client({ node: ES_URL });
    for (const index of [...expectedExpired, ...survivors]) {
      await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
    }
  });
  afterAll(async () => {
    await dropIndexPrefix(client, prefix);
    await client.close();
  });

  it('lists in a dry run exactly what it then deletes, and leaves everything else', async () => {
    const dry = await job().run({ dryRun: true });
    expect(dry).toEqual({ job: 'retention', dryRun: true, deleted: expectedExpired, kept: survivors.length - 2 });
    expect(await existing()).toEqual([...expectedExpired, ...survivors].sort());

    const real = await job().run();
    expect(real.deleted).toEqual(dry.deleted);
    expect(await existing()).toEqual([...survivors].sort());

    // Nothing left to do: a second run deletes nothing.
    expect((await job().run()).deleted).toEqual([]);
  });

  it('never deletes today or a future day, even keeping a single day', () => {
    const names = [-2, -1, 0, 1, 30].map((d) => name('spans', d));
    const { expired } = expiredIndices(prefix, names, { spans: 1, services: 1, accesslogs: 1, dependencies: 1 }, now);
    expect(expired).toEqual([name('spans', -2), name('spans', -1)].sort());
  });

  it('ignores indices of another prefix that starts with this one', () => {
    const { expired, kept } = expiredIndices(prefix, [`${prefix}-other-spans-${day(-30)}`], { spans: 1, services: 1, accesslogs: 1, dependencies: 1 }, now);
    expect(expired).toEqual([]);
    expect(kept).toBe(0);
  });
});
