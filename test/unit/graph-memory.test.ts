import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemoryGraphReader } from '../../shared/storage/memory/memory-graph-reader.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { describeGraphContract } from '../support/graph-contract.js';

describeGraphContract('memory', async (naming) => {
  const spans = new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 });
  const accessLogs = new MemoryAccessLogStore({ maxRecords: 10_000 });
  return {
    writeSpans: async (s) => void (await spans.writeSpans(s)),
    writeAccessLogs: async (r) => void (await accessLogs.writeAccessLogs(r)),
    reader: new MemoryGraphReader({ spans, accessLogs, naming }),
    stop: async () => {},
  };
});
