import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { describeTraceqlContract } from '../support/traceql-contract.js';

describeTraceqlContract('memory', async () => new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 }));
