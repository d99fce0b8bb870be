/**
 * Packs the buffer records of one produce request into few Kafka records: the packable records
 * (BufferRecord.packable) of one topic that land on one partition become one Kafka record whose
 * value is their values concatenated — for protobuf messages the very message that holds all of
 * theirs, since repeated top-level fields append (ExportTraceServiceRequest.resource_spans,
 * likewise logs and metrics).
 *
 * Why: kafkajs and the broker pay per record (encoding, copies, batch bookkeeping). One record per
 * trace made a 512-span export request ~70 records.
 *
 * Where records are cut, and why in two places: the trace intake already encodes the traces of one
 * request that share a partition as one request (TelemetryBuffer.partitionOf; resources and scopes
 * written once — a codec decision, so it lives with the codec's caller). This packer then joins the
 * records of the concurrent publish calls that one send carries (produce-batcher.ts), which only the
 * buffer sees together, and the records of publishers that stay per key (access logs, metrics).
 * The in-process buffer needs no packer: it keeps every key together, so the trace intake already
 * publishes a whole request as one record there.
 *
 * What keeps the promises of shared/buffer/buffer.ts:
 * - A packed record goes to the partition every one of its records' keys maps to (Kafka's murmur2,
 *   set explicitly on the message), and its key is its first record's key, which maps there too:
 *   a trace never leaves its partition, whoever reads or replays the record.
 * - Order per partition is publish order: a pack sits where its first record was, and a record
 *   that is not packed closes the open pack of its partition, so nothing packed later overtakes it.
 * - A pack grows only while it stays within maxRecordBytes; a record larger than that alone goes
 *   alone (never split: its value is one message).
 * - Records with headers are never packed: headers belong to one record (the dead-letter topic's
 *   say why that record failed).
 *
 * When a topic's partition count is unknown, its records go as they are and kafkajs partitions
 * them by key.
 */
import type { Message } from 'kafkajs';
import type { BufferRecord, BufferTopic } from '../buffer.js';
import { partitionOfKey } from './murmur2.js';

export interface PackOptions {
  /** The topic's partition count as the broker last told us; undefined = unknown (no packing). */
  readonly partitionsOf: (topic: BufferTopic) => number | undefined;
  /** Largest value of a packed record (a single record larger than this still goes, alone). */
  readonly maxRecordBytes: number;
}

/** Kafka messages per logical topic, each list in publish order per partition. */
export type PackedMessages = Map<BufferTopic, Message[]>;

interface OpenPack {
  readonly message: Message;
  readonly parts: Uint8Array[];
  bytes: number;
}

export function packRecords(records: readonly BufferRecord[], options: PackOptions): PackedMessages {
  const out: PackedMessages = new Map();
  // Per topic, the pack still open on each partition.
  const openByTopic = new Map<BufferTopic, Array<OpenPack | undefined>>();
  const packs: OpenPack[] = [];

  for (const r of records) {
    let messages = out.get(r.topic);
    if (!messages) out.set(r.topic, (messages = []));
    const partitions = options.partitionsOf(r.topic);
    if (partitions === undefined) {
      messages.push(single(r));
      continue;
    }
    const partition = partitionOfKey(r.key, partitions);
    let open = openByTopic.get(r.topic);
    if (!open) openByTopic.set(r.topic, (open = new Array<OpenPack | undefined>(partitions)));
    const pack = open[partition];
    if (r.packable !== true || r.headers !== undefined) {
      open[partition] = undefined;
      messages.push({ ...single(r), partition });
      continue;
    }
    const bytes = r.value.byteLength;
    if (pack && pack.bytes + bytes <= options.maxRecordBytes) {
      pack.parts.push(r.value);
      pack.bytes += bytes;
      continue;
    }
    const message: Message = { key: r.key, value: null, partition };
    messages.push(message);
    packs.push((open[partition] = { message, parts: [r.value], bytes }));
  }

  let multiPartBytes = 0;
  for (const pack of packs) {
    if (pack.parts.length === 1) pack.message.value = view(pack.parts[0]);
    else multiPartBytes += pack.bytes;
  }
  // Every multi-part value is a slice of one allocation: one copy of each byte, one buffer to free.
  if (multiPartBytes > 0) {
    const joined = Buffer.allocUnsafe(multiPartBytes);
    let offset = 0;
    for (const pack of packs) {
      if (pack.parts.length === 1) continue;
      const start = offset;
      for (const part of pack.parts) {
        joined.set(part, offset);
        offset += part.byteLength;
      }
      pack.message.value = joined.subarray(start, offset);
    }
  }
  return out;
}

function single(r: BufferRecord): Message {
  return { key: r.key, value: view(r.value), headers: r.headers ? { ...r.headers } : undefined };
}

/** A Buffer over the same memory: values can be megabytes, so no copy. */
function view(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
