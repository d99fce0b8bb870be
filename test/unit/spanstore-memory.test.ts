import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { describeSpanStoreContract } from '../support/spanstore-contract.js';

describeSpanStoreContract('memory', async () => new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 }));
