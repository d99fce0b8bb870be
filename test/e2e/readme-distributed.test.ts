/**
 * README's distributed-mode example, run as written: the three `node dist/services/cli.js <role> &`
 * lines started together on one machine with their default ports. Before each role had its own
 * admin port default, the second and third died with EADDRINUSE on 14269.
 *
 * Two things differ from a user's shell, neither touching ports or flags: the roles run from
 * source through tsx (the same entry point `npm run build` compiles), and MESHTEL_* variables give
 * this run its own topic, consumer group and index prefix, because Kafka and Elasticsearch here are
 * shared with other test runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PORT_DEFAULTS } from '../../services/role-settings.js';
import { eventually } from '../support/meshtel-process.js';
import { dropPipelineData } from '../support/pipeline.js';
import { ensureServers } from '../support/servers.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The role commands of README's distributed-mode shell block, with their arguments. */
function readmeRoleCommands(): Array<{ role: string; args: string[] }> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Distributed mode'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => /^node dist\/services\/cli\.js (\S+)([^&#]*)&/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ role: m[1]!, args: m[2]!.trim().split(/\s+/).filter(Boolean) }));
}

const id = `readme-${randomBytes(4).toString('hex')}`;
const children: Array<{ role: string; child: ChildProcess; stderr: () => string; started: Promise<void> }> = [];

beforeAll(async () => {
  await ensureServers(['kafka', 'elasticsearch']);
}, 300_000);

afterAll(async () => {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  await dropPipelineData(id).catch(() => undefined);
}, 120_000);

describe("README's distributed-mode example", () => {
  it('starts ingester, collector and query together on one machine with their default ports', async () => {
    const commands = readmeRoleCommands();
    expect(commands.map((c) => c.role)).toEqual(['ingester', 'collector', 'query']);
    for (const { role, args } of commands) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/cli.ts', role, ...args], {
        cwd: repoRoot,
        env: {
          ...process.env,
          MESHTEL_KAFKA_TOPIC_PREFIX: `meshtel-${id}`,
          MESHTEL_KAFKA_CONSUMER_GROUP: `meshtel-${id}`,
          MESHTEL_ES_INDEX_PREFIX: `meshtel-${id}`,
          MESHTEL_KAFKA_PARTITIONS: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const started = new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes(`"meshtel ${role} started"`)) resolve();
          if (line.includes('EADDRINUSE')) reject(new Error(`${role}: ${line}`));
        });
        child.once('exit', (code) => reject(new Error(`${role} exited with ${code}; stderr:\n${stderr}`)));
      });
      children.push({ role, child, stderr: () => stderr, started });
    }
    await Promise.all(children.map((c) => c.started));
    for (const { role } of commands) {
      const port = ADMIN_PORT_DEFAULTS[role]!;
      await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), 60_000, 500);
    }
    const services = await fetch('http://127.0.0.1:16686/api/services');
    expect(services.status).toBe(200);
    for (const { child } of children) expect(child.exitCode).toBeNull();
  }, 240_000);
});
