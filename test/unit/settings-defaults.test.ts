import { describe, expect, it } from 'vitest';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { COMPONENT_SETTINGS } from '../../services/component-options.js';
import { loadConfig, SETTINGS, type MeshtelConfig } from '../../services/settings.js';

/**
 * One source of truth: a setting's default (what --help and README show, and what loadConfig
 * yields when nothing is set) is the default of the component field it names, so a component
 * given the all-defaults configuration is configured exactly as when given no options at all.
 */
describe('setting defaults', () => {
  const defaults = loadConfig(new Map(), {});

  for (const { component, schema, fromConfig } of COMPONENT_SETTINGS) {
    it(`are the ${component}'s own when nothing is set`, () => {
      expect(schema.parse(fromConfig(defaults))).toEqual(schema.parse({}));
    });
  }

  it('reach a component for every setting', () => {
    const read = new Set<string>();
    const tracking = new Proxy(defaults, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    }) as MeshtelConfig;
    for (const { fromConfig } of COMPONENT_SETTINGS) fromConfig(tracking);
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('are all read from component fields, none written in the table itself', () => {
    const ownDefaults = Object.entries(SETTINGS).filter(([, entry]) => !('field' in entry)).map(([key]) => key);
    expect(ownDefaults).toEqual([]);
  });

  it('are what a component constructed without options applies (in-process buffer capacity)', () => {
    const buffer = new InProcessBuffer({});
    expect(buffer.stats().capacityBytes).toBe(defaults.bufferMaxBytes);
  });
});
