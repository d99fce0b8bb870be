/** The TelemetryBuffer contract, held by the in-process buffer all-in-one uses. */
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { describeBufferContract } from '../support/buffer-contract.js';

describeBufferContract('in-process buffer', () => new InProcessBuffer({ capacityBytes: 1_000_000, retryBackoffMs: 10 }));
