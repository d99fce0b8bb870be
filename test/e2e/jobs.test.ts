/**
 * The jobs role and its commands as real `meshtel` processes on deploy/local's Redis and
 * Elasticsearch, each run with its own index prefix and Redis key prefix: `meshtel jobs run`
 * prints one JSON line and exits 0; the query role's POST /api/archive is carried out by a
 * `meshtel jobs` process and the archived trace outlives its daily index; the jobs role counts
 * its runs in /metrics, is ready with Redis, and stops cleanly.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jaegerTraceId } from '../../services/query/jaeger/ids.js';
import { SpanKind } from '../../shared/model/span.js';
import { dayOf, DAY_MS } from '../../shared/storage/elasticsearch/indices.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';
import { deleteIndexTemplateIfPresent, dropIndexPrefix } from '../integration/spanstore-elasticsearch-support.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { deleteRedisKeys } from '../support/redis.js';
import { ensureServers, ES_URL, REDIS_URL } from '../support/servers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const run = randomBytes(4).toString('hex');
const prefix = `mt-test-jobs-${run}`;
const env = {
  MESHTEL_ES_URL: ES_URL,
  MESHTEL_ES_INDEX_PREFIX: prefix,
  MESHTEL_REDIS_URL: REDIS_URL,
  MESHTEL_REDIS_PREFIX: prefix,
  MESHTEL_KAFKA_TOPIC_PREFIX: prefix,
  MESHTEL_ROLLUP_SCHEDULE: '',
  MESHTEL_RETENTION_SCHEDULE: '',
};
const HOUR = 3_600_000;

/** Runs `meshtel <args>` to its end: exit code, stdout lines, stderr. */
function meshtel(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env, MESHTEL_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, lines: out.split('\n').filter((l) => l.length > 0), stderr: err }));
  });
}

describe('meshtel jobs', () => {
  let admin: Client;
  let store: ElasticsearchSpanStore;
  const now = Date.now();
  const hour = Math.floor(now / HOUR) * HOUR;
  const traceId = traceIdOf(0xa11ce);
  const procs: MeshtelProcess[] = [];

  beforeAll(async () => {
    await ensureServers(['elasticsearch', 'redis']);
    admin = new Client({ node: ES_URL });
    store = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
    await store.start();
    // Two hours ago: frontend → checkout, the trace the archive test keeps.
    const root = span({ traceId, spanId: spanIdOf(0xa1), service: 'frontend', kind: SpanKind.CLIENT, startUs: (hour - 2 * HOUR + 60_000) * 1000 });
    await store.writeSpans([root, span({ traceId, spanId: spanIdOf(0xa2), parentSpanId: root.spanId, service: 'checkout', startUs: (hour - 2 * HOUR + 61_000) * 1000 })]);
    await store.refresh();
    await admin.indices.create({ index: `${prefix}-spans-${dayOf(now - 30 * DAY_MS)}`, settings: { number_of_shards: 1, number_of_replicas: 0 } });
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) await p.stop();
    await store?.stop();
    if (admin) {
      await dropIndexPrefix(admin, prefix);
      // The query role installs the access-log template too.
      for (const signal of ['dependencies', 'accesslogs']) await deleteIndexTemplateIfPresent(admin, `${prefix}-${signal}`);
      await admin.close();
    }
    await deleteRedisKeys(`${prefix}:*`);
  });

  it('`jobs run retention` lists in a dry run, then deletes, printing one JSON line and exiting 0', async () => {
    const expired = `${prefix}-spans-${dayOf(now - 30 * DAY_MS)}`;
    const dry = await meshtel(['jobs', 'run', 'retention', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.lines).toHaveLength(1);
    expect(JSON.parse(dry.lines[0]!)).toMatchObject({ job: 'retention', dryRun: true, deleted: [expired] });
    expect(await admin.indices.exists({ index: expired })).toBe(true);

    const real = await meshtel(['jobs', 'run', 'retention']);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.lines[0]!)).toMatchObject({ job: 'retention', dryRun: false, deleted: [expired] });
    expect(await admin.indices.exists({ index: expired })).toBe(false);
  });

  it('`jobs run rollup --from --to` rolls up the asked hours and prints what it did', async () => {
    const from = new Date(hour - 3 * HOUR).toISOString();
    const to = new Date(hour - HOUR).toISOString();
    const res = await meshtel(['jobs', 'run', 'rollup', '--from', from, '--to', to]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.lines).toHaveLength(1);
    expect(JSON.parse(res.lines[0]!)).toMatchObject({ job: 'rollup', from, to, hours: 2, finalHours: 2, edges: 1, dryRun: false });
    const usage = await meshtel(['jobs', 'run', 'rollup', '--from', 'yesterday']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--from must be an RFC 3339 time');
  });

  it('archives a trace through the query API and the jobs role; trace-by-id still finds it after its daily index is deleted', async () => {
    const jobs = await startMeshtel('jobs', [], env);
    procs.push(jobs);
    const query = await startMeshtel('query', [], env);
    procs.push(query);
    expect((await fetch(jobs.url('admin', '/readyz'))).status).toBe(200);

    const answer = await fetch(query.url('query', `/api/archive/${traceId}`), { method: 'POST' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ data: [], errors: null });
    await eventually(async () => ((await admin.exists({ index: `${prefix}-archive`, id: traceId })) ? true : undefined), 30_000);

    await admin.indices.delete({ index: `${prefix}-spans-${dayOf(hour - 2 * HOUR)}` });
    const res = await fetch(query.url('query', `/api/traces/${traceId}`));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ traceID: string; spans: Array<{ spanID: string }> }> };
    expect(body.data[0]!.traceID).toBe(jaegerTraceId(traceId));
    expect(body.data[0]!.spans.map((s) => s.spanID).sort()).toEqual([spanIdOf(0xa1), spanIdOf(0xa2)].sort());

    interface JobsAnswer { jobs: Array<{ name: string; schedule: string | null; lastRun: { ok: boolean; result?: unknown } | null }> }
    const listed = await eventually(async () => {
      const answer = (await (await fetch(query.url('query', '/api/v1/jobs'))).json()) as JobsAnswer;
      return answer.jobs.find((j) => j.name === 'archive')?.lastRun ? answer : undefined;
    }, 30_000);
    expect(listed.jobs.map((j) => j.name)).toEqual(['rollup', 'retention', 'dlq-replay', 'archive']);
    expect(listed.jobs.find((j) => j.name === 'archive')!.lastRun).toMatchObject({ ok: true, result: { job: 'archive', traceId, spans: 2 } });

    const metrics = await (await fetch(jobs.url('admin', '/metrics'))).text();
    expect(metrics).toMatch(/meshtel_jobs_runs_total\{job="archive",outcome="success"\} 1/);
    expect(metrics).toMatch(/meshtel_jobs_last_success_timestamp_seconds\{job="archive"\} \d/);
    expect(metrics).toMatch(/meshtel_jobs_queue_runs\{job="archive",state="failed"\} 0/);

    expect(await jobs.stop('SIGTERM')).toBe(0);
    expect(await query.stop('SIGTERM')).toBe(0);
  });
});

describe('all-in-one jobs', () => {
  let aio: MeshtelProcess | undefined;
  afterAll(async () => {
    await aio?.stop();
  });

  it('rolls up dependencies and archives traces on its in-process scheduler, with no Redis to reach', async () => {
    aio = await startMeshtel('all-in-one', [], {
      // Nothing listens there: all-in-one must not need it.
      MESHTEL_REDIS_URL: 'redis://127.0.0.1:1',
      MESHTEL_ROLLUP_SCHEDULE: '* * * * * *',
    });
    const traceHex = randomBytes(16).toString('hex');
    const otlp = {
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'aio-frontend' } }] },
        scopeSpans: [{ spans: [{ traceId: traceHex, spanId: randomBytes(8).toString('hex'), name: 'GET /', kind: 2, startTimeUnixNano: String(BigInt(Date.now() - 1000) * 1_000_000n), endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n) }] }],
      }],
    };
    const sent = await fetch(aio.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(otlp) });
    expect(sent.status).toBe(200);
    await eventually(async () => ((await fetch(aio!.url('query', `/api/traces/${traceHex}`))).status === 200 ? true : undefined), 30_000);
    expect((await fetch(aio.url('query', `/api/archive/${traceHex}`), { method: 'POST' })).status).toBe(200);

    const counted = (text: string, job: string) => Number(new RegExp(`meshtel_jobs_runs_total\\{job="${job}",outcome="success"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const metrics = await eventually(async () => {
      const text = await (await fetch(aio!.url('admin', '/metrics'))).text();
      return counted(text, 'rollup') >= 1 && counted(text, 'archive') === 1 ? text : undefined;
    }, 30_000);
    expect(metrics).toMatch(/meshtel_rollup_windows_total\{granularity="hour"\} [1-9]/);
    const listed = (await (await fetch(aio.url('query', '/api/v1/jobs'))).json()) as { jobs: Array<{ name: string; schedule: string | null; nextRunAt: string | null; lastRun: { ok: boolean } | null }> };
    expect(listed.jobs.map((j) => j.name)).toEqual(['rollup', 'archive']);
    expect(listed.jobs[0]).toMatchObject({ name: 'rollup', schedule: '* * * * * *', lastRun: { ok: true } });
    expect(listed.jobs[1]).toMatchObject({ name: 'archive', schedule: null, nextRunAt: null, lastRun: { ok: true } });
    expect((await fetch(aio.url('admin', '/readyz'))).status).toBe(200);
    expect(await aio.stop('SIGTERM')).toBe(0);
    aio = undefined;
  });
});
