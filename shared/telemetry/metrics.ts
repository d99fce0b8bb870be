/**
 * meshtel's own metrics (prom-client): the registry a role serves on its admin port, and the
 * get-or-create helpers every component's metric set is built with. Each component declares its
 * own set beside its code (e.g. shared/buffer/buffer-metrics.ts); the wiring asks for the sets of
 * the components it runs, so a role's /metrics lists what that role does. One registry per
 * running role keeps several roles in one process (tests, all-in-one) apart.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/** A role's registry, with prom-client's process metrics under the `meshtel_` prefix. */
export function createSelfMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'meshtel_' });
  return registry;
}

type Config<C> = Omit<C, 'registers'>;

// Two components of one role may share a metric set (every receiver counts into the receiver
// set); asking for a metric already registered returns it instead of failing as prom-client would.
function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter<L extends string>(registry: Registry, config: Config<CounterConfiguration<L>>): Counter<L> {
  return getOrCreate(registry, config.name, () => new Counter<L>({ ...config, registers: [registry] }));
}

export function gauge<L extends string>(registry: Registry, config: Config<GaugeConfiguration<L>>): Gauge<L> {
  return getOrCreate(registry, config.name, () => new Gauge<L>({ ...config, registers: [registry] }));
}

export function histogram<L extends string>(registry: Registry, config: Config<HistogramConfiguration<L>>): Histogram<L> {
  return getOrCreate(registry, config.name, () => new Histogram<L>({ ...config, registers: [registry] }));
}
