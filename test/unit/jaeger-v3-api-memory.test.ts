import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { describeApiV3Suite } from '../support/jaeger-v3-api-suite.js';

describeApiV3Suite('memory', async () => new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 }), async () => undefined);
