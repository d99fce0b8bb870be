/**
 * Starts a real `meshtel <role>` process (through tsx, from source) for end-to-end tests, on
 * ports the OS picks, and reads the endpoints from its start-up log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface MeshtelProcess {
  readonly child: ChildProcess;
  /** e.g. { admin: '127.0.0.1:40123', otlpGrpc: '127.0.0.1:40124', otlpHttp: …, query: … } */
  readonly endpoints: Record<string, string>;
  /** Every JSON log line the process wrote so far. */
  readonly logs: Array<Record<string, unknown>>;
  url(endpoint: string, path?: string): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startMeshtel(
  role: string,
  args: string[] = [],
  env: Record<string, string> = {},
  startTimeoutMs = 30_000,
  /** The checkout whose sources run (default this one), e.g. another worktree to compare against. */
  root: string = repoRoot,
): Promise<MeshtelProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/cli.ts', role, '--host', '127.0.0.1', '--admin-port', '0', ...portArgs(role), ...args],
    { cwd: root, env: { ...process.env, MESHTEL_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const started = new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`meshtel ${role} did not start in ${startTimeoutMs} ms; stderr:\n${stderr}`)), startTimeoutMs);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry.msg === 'string' && entry.msg.startsWith(`meshtel ${role} started`)) {
          clearTimeout(timer);
          resolve(entry.endpoints as Record<string, string>);
        }
      } catch {
        // not JSON: ignore (pino writes only JSON lines)
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`meshtel ${role} exited with ${code} before starting; stderr:\n${stderr}`));
    });
  });
  const endpoints = await started;
  return {
    child,
    endpoints,
    logs,
    url: (endpoint, path = '') => `http://${endpoints[endpoint]}${path}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

function portArgs(role: string): string[] {
  switch (role) {
    case 'all-in-one':
      return ['--otlp-grpc-port', '0', '--otlp-http-port', '0', '--zipkin-port', '0', '--query-port', '0', '--tempo-port', '0', '--metrics-port', '0'];
    case 'collector':
      return ['--otlp-grpc-port', '0', '--otlp-http-port', '0', '--zipkin-port', '0'];
    case 'query':
      return ['--query-port', '0', '--tempo-port', '0'];
    default:
      return [];
  }
}

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
