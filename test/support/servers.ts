/**
 * Real servers for integration tests: Kafka, Elasticsearch, Redis and Prometheus on 127.0.0.1,
 * started (and installed on first use) by deploy/local/up. Tests call `ensureServers([...])` in a
 * `beforeAll`; servers already answering are reused and left running afterwards.
 *
 * The servers are shared by everything on the machine, so tests must use unique names (topics,
 * indices, keys) and must not assume empty state. `stopServer`/`startServer` are for fault tests
 * only: they affect every other user of that server.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerName = 'kafka' | 'elasticsearch' | 'redis' | 'prometheus';
export const ALL_SERVERS: readonly ServerName[] = ['kafka', 'elasticsearch', 'redis', 'prometheus'];

export const KAFKA_BROKERS = '127.0.0.1:9092';
export const ES_URL = 'http://127.0.0.1:9200';
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const PROMETHEUS_URL = 'http://127.0.0.1:9090';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPTS = path.join(REPO_ROOT, 'deploy', 'local');

/** A cold start downloads Kafka's jars and Elasticsearch (~200 MB) and installs two Debian packages. */
const UP_TIMEOUT_MS = 8 * 60_000;
const DOWN_TIMEOUT_MS = 2 * 60_000;

/** Runs deploy/local/<script> <names>, capturing its output; rejects with that output on failure. */
function runScript(script: 'up' | 'down' | 'status', names: readonly ServerName[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(SCRIPTS, script),
      [...names],
      { cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (err) {
          const why = err.killed ? `timed out after ${timeoutMs / 1000}s` : `exited with ${err.code ?? err.signal}`;
          reject(new Error(`deploy/local/${script} ${names.join(' ')} ${why}:\n${output}`));
        } else {
          resolve(output);
        }
      },
    );
  });
}

/** Connects to 127.0.0.1:port, writes `request`, resolves with the first `want` bytes of the reply. */
function tcpExchange(port: number, request: Buffer, want: number, timeoutMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (value: Buffer | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= want) done(Buffer.concat(chunks).subarray(0, want));
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(got >= want ? Buffer.concat(chunks).subarray(0, want) : null));
  });
}

/** Kafka ApiVersions v0; a KRaft broker serves requests only once it has registered and caught up. */
async function kafkaReady(): Promise<boolean> {
  const clientId = Buffer.from('ping');
  const body = Buffer.alloc(10 + clientId.length);
  body.writeInt16BE(18, 0); // api_key ApiVersions
  body.writeInt16BE(0, 2); // api_version
  body.writeInt32BE(7, 4); // correlation_id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  const reply = await tcpExchange(9092, Buffer.concat([size, body]), 10);
  return reply !== null && reply.readInt32BE(4) === 7 && reply.readInt16BE(8) === 0;
}

async function httpOk(url: string, check?: (body: string) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = await res.text();
    return res.ok && (check ? check(body) : true);
  } catch {
    return false;
  }
}

async function redisReady(): Promise<boolean> {
  const reply = await tcpExchange(6379, Buffer.from('*1\r\n$4\r\nPING\r\n'), 7);
  return reply?.toString('latin1') === '+PONG\r\n';
}

/** True when the server answers a real request on 127.0.0.1 right now. */
export function isServerReady(name: ServerName): Promise<boolean> {
  switch (name) {
    case 'kafka':
      return kafkaReady();
    case 'elasticsearch':
      return httpOk(`${ES_URL}/_cluster/health`, (b) => /"status":"(green|yellow)"/.test(b));
    case 'redis':
      return redisReady();
    case 'prometheus':
      return httpOk(`${PROMETHEUS_URL}/-/ready`);
  }
}

/**
 * Makes sure each named server answers on 127.0.0.1, running deploy/local/up for those that do not
 * (which installs on first use: allow several minutes on a cold machine). Throws with the script's
 * output, including the server's log tail, when one cannot be started.
 */
export async function ensureServers(names: readonly ServerName[] = ALL_SERVERS): Promise<void> {
  const ready = await Promise.all(names.map((n) => isServerReady(n)));
  const missing = names.filter((_, i) => !ready[i]);
  if (missing.length === 0) return;
  await runScript('up', missing, UP_TIMEOUT_MS);
  const after = await Promise.all(missing.map((n) => isServerReady(n)));
  const stillMissing = missing.filter((_, i) => !after[i]);
  if (stillMissing.length > 0) {
    throw new Error(`deploy/local/up succeeded but ${stillMissing.join(', ')} still not answering on 127.0.0.1`);
  }
}

/** Stops one server (graceful, then killed after a grace period). For fault tests. */
export async function stopServer(name: ServerName): Promise<void> {
  await runScript('down', [name], DOWN_TIMEOUT_MS);
}

/** Starts one server again and waits until it is ready. For fault tests. */
export async function startServer(name: ServerName): Promise<void> {
  try {
    await runScript('up', [name], UP_TIMEOUT_MS);
  } catch (err) {
    // The script's own output says why (exit status, port holders, log tails); the state of
    // every server right after tells whether the failure is this one's alone.
    const status = await serverStatus();
    throw new Error(`${(err as Error).message}\n---- deploy/local/status after the failure ----\n${status}`);
  }
}

/** deploy/local/status output: one line per server with its state and address. */
export async function serverStatus(names: readonly ServerName[] = ALL_SERVERS): Promise<string> {
  return runScript('status', names, 60_000).catch((err: Error) => err.message);
}
