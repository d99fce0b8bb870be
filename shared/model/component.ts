/**
 * The lifecycle every long-running part shares (OpenTelemetry Collector style): construct
 * (validates config), start, stop. A role starts its components in order and stops them in
 * reverse, so receivers stop taking data before the buffer drains into the stores.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Drains and flushes; never abandons acknowledged data. */
  stop(): Promise<void>;
}

/** A readiness probe contributed to `/readyz`. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean>;
}

/** Gives a part with a lifecycle but no name (a buffer, a store) its place in a role's list. */
export function asComponent(name: string, part: { start(): Promise<void>; stop(): Promise<void> }): Component {
  return { name, start: () => part.start(), stop: () => part.stop() };
}
