/**
 * Runs one role: starts its components in order, logs one line listing every endpoint, and on
 * SIGTERM/SIGINT stops them in reverse order — so receivers stop taking data first, the buffer
 * drains into the stores next, and the admin port (health, metrics) goes last.
 */
import type { Registry } from 'prom-client';
import type { Component, ReadinessCheck } from '../shared/model/component.js';
import { adminPortFor } from './role-settings.js';
import type { MeshtelConfig } from './settings.js';
import { listenerSecurityFromConfig } from './component-options.js';
import { AdminServer, readinessOf, type Readiness } from './admin-server.js';
import type { Logger } from '../shared/telemetry/logger.js';

export interface RoleContext {
  readonly config: MeshtelConfig;
  readonly logger: Logger;
  /** The role's self-metrics registry (admin /metrics); components register their sets on it. */
  readonly registry: Registry;
}

export interface RoleParts {
  /** Started in this order, stopped in reverse. */
  readonly components: readonly Component[];
  readonly checks: readonly ReadinessCheck[];
  /** Listening endpoints, read after start (ports chosen by the OS when configured as 0). */
  readonly endpoints: () => Record<string, string>;
}

export type RoleBuilder = (ctx: RoleContext) => Promise<RoleParts> | RoleParts;

export interface RunningRole {
  readonly endpoints: Record<string, string>;
  /** What /readyz answers for this process's components. */
  readiness(): Promise<Readiness>;
  /** Graceful stop; resolves true when everything stopped within the shutdown timeout. */
  stop(reason: string): Promise<boolean>;
}

export interface StartRoleOptions {
  /** false in a cluster worker: its primary serves the admin port for every worker. */
  readonly admin?: boolean;
  /** The start-up log line (default `meshtel <role> started`). */
  readonly startedMessage?: string;
}

export async function startRole(role: string, build: RoleBuilder, ctx: RoleContext, options: StartRoleOptions = {}): Promise<RunningRole> {
  const { config, logger, registry } = ctx;
  const parts = await build(ctx);
  const admin =
    options.admin === false
      ? undefined
      : new AdminServer({
          host: config.host,
          port: adminPortFor(role, config.adminPort),
          registry,
          logger,
          checks: () => parts.checks,
          security: listenerSecurityFromConfig(config, 'admin', logger),
        });
  let serving = false;
  const ordered: Component[] = [...(admin ? [admin] : []), ...parts.components];
  const started: Component[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of [...started].reverse()) {
      try {
        await c.stop();
        logger.info({ component: c.name }, 'stopped');
      } catch (err) {
        logger.error({ err, component: c.name }, 'component failed to stop cleanly');
      }
    }
  };
  try {
    for (const c of ordered) {
      await c.start();
      started.push(c);
    }
  } catch (err) {
    logger.error({ err, component: ordered[started.length]?.name }, 'start-up failed');
    await stopAll();
    throw err;
  }
  serving = true;
  if (admin) admin.started = true;
  const endpoints = { ...(admin && { admin: `${config.host}:${admin.port}` }), ...parts.endpoints() };
  logger.info({ role, endpoints }, options.startedMessage ?? `meshtel ${role} started`);

  let stopping: Promise<boolean> | undefined;
  return {
    endpoints,
    readiness: () => readinessOf(serving, parts.checks),
    stop(reason: string) {
      stopping ??= (async () => {
        logger.info({ reason, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining');
        serving = false;
        if (admin) admin.started = false;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), config.shutdownTimeoutMs);
        });
        const ok = await Promise.race([stopAll().then(() => true as const), timedOut]);
        clearTimeout(timer);
        logger.info({ clean: ok }, ok ? 'shutdown complete' : 'shutdown timed out');
        return ok;
      })();
      return stopping;
    },
  };
}
