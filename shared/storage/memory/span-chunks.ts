/**
 * Where the memory span store keeps its encoded Span messages: appended to large shared chunks,
 * each chunk compressed (raw DEFLATE) once it is full. Spans of one service mesh repeat
 * themselves — attribute keys, service, route and peer names, Span messages of the same few
 * shapes — so a sealed 256 KiB chunk shrinks ~5× when every span has its own random ids and
 * request id (test/bench/memstore.ts: ~537 → ~100 bytes a span) and ~8× on the load
 * generator's spans, whose 16 requests repeat. Compressing costs ~1–3 µs a span (zlib's fastest
 * level) and runs on libuv's thread pool, off the thread that takes spans in (until it is done
 * the chunk is read, and charged, uncompressed); reading a span back inflates its chunk (~0.5–1.5 ms); the chunks inflated last are
 * kept, so reading a trace (whose spans usually sit in one or two chunks) or scanning traces in
 * arrival order inflates each chunk about once.
 *
 * Byte accounting, the store's byte bound reads it: the open chunk is charged the bytes of the
 * messages it holds for spans still held; a sealed chunk its compressed size for as long as any
 * span in it is held (a chunk is one allocation: it is freed whole, when its last span goes).
 */
import { deflateRaw, inflateRawSync } from 'node:zlib';

/** Span messages are appended to chunks of this size (a few hundred spans each). */
export const CHUNK_BYTES = 256 * 1024;
/** A span message larger than this gets a chunk of its own instead of a shared chunk's tail. */
export const OWN_CHUNK_BYTES = 16 * 1024;
/**
 * Chunks kept inflated after a read (a FIFO: the oldest inflated one makes room), at most 8 MiB.
 * A TraceQL search walks traces newest first, and spans arrive seconds after they started, so
 * the walk jumps between recent chunks: over 100k held spans (test/bench/memstore.ts, busy
 * machine) one that matched nothing took ~6.7 s with 8 kept and ~1.1 s with 32, before its walk
 * learned to take blocks in storage order (traceql-search.ts).
 */
export const INFLATED_KEPT = 32;
/**
 * zlib's fastest level: on test/bench's spans level 6 saves another ~15 % of a small remainder
 * for more than twice the CPU on every write.
 */
const DEFLATE_LEVEL = 1;
/** A sealed chunk stays uncompressed unless compressing saves at least this share. */
const MIN_SAVING = 0.1;

/** One chunk of span messages. Spans refer to it with an offset and length into its raw bytes. */
export class SpanChunk {
  /** Raw bytes while open; once sealed, the deflated bytes (or the raw ones when that did not pay). */
  private data: Uint8Array;
  private compressed = false;
  private sealed = false;
  /** Raw bytes appended so far. */
  used = 0;
  /** Spans held with their message in this chunk. */
  liveSpans = 0;
  /** Raw bytes of those spans' messages. */
  liveBytes = 0;
  /** The raw bytes while inflated for a read and kept by the pool. */
  inflated: Uint8Array | undefined;

  constructor(
    readonly pool: SpanChunks,
    size: number,
    /** Its place in the order chunks were opened (reads that visit many spans go in this order). */
    readonly seq: number,
  ) {
    this.data = new Uint8Array(size);
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  get isCompressed(): boolean {
    return this.compressed;
  }

  /** What the chunk costs now: its compressed (or trimmed) size once sealed, else its live spans' bytes. */
  get charge(): number {
    if (!this.sealed) return this.liveBytes;
    return this.liveSpans > 0 ? this.data.byteLength : 0;
  }

  /** The raw bytes the spans' offsets point into (inflates a compressed chunk, through the pool's cache). */
  bytes(): Uint8Array {
    if (!this.compressed) return this.data;
    return this.inflated ?? this.pool.inflate(this);
  }

  /** Copies `message` in at the end; the caller checked that it fits. */
  append(message: Uint8Array): number {
    const offset = this.used;
    this.data.set(message, offset);
    this.used += message.length;
    return offset;
  }

  fits(length: number): boolean {
    return !this.sealed && this.used + length <= this.data.length;
  }

  /**
   * No more appends. Returns the bytes written, to compress, or undefined when every span in
   * the chunk was evicted or replaced before it filled (then nothing is kept).
   */
  seal(): Uint8Array | undefined {
    if (this.sealed) return undefined;
    this.sealed = true;
    if (this.liveSpans === 0) {
      this.data = new Uint8Array(0);
      return undefined;
    }
    return this.data.subarray(0, this.used);
  }

  /** Takes the compressed bytes of a sealed chunk (or keeps its own, trimmed, when that saved too little). */
  settle(deflated: Uint8Array | undefined): void {
    if (this.liveSpans === 0) {
      // Its last span went while it was being compressed.
      this.data = new Uint8Array(0);
    } else if (deflated !== undefined && deflated.byteLength <= this.used * (1 - MIN_SAVING)) {
      // A copy that owns exactly its bytes: zlib's result may be a view of a larger buffer.
      this.data = new Uint8Array(deflated);
      this.compressed = true;
    } else if (this.data.byteLength !== this.used) {
      this.data = this.data.slice(0, this.used);
    }
  }

  /** Raw bytes of the compressed data (for the pool). */
  inflateNow(): Uint8Array {
    // One output buffer of the known raw size, instead of zlib's 16 KiB pieces joined afterwards.
    const out = inflateRawSync(this.data, { chunkSize: Math.max(64, this.used) });
    return out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
  }
}

/** The chunks of one store: the open one, appends, releases, and the inflated-chunk cache. */
export class SpanChunks {
  private open: SpanChunk | undefined;
  private readonly kept: (SpanChunk | undefined)[];
  private keptNext = 0;
  /** Sum of every chunk's charge. */
  private chargedBytes = 0;
  private inflations = 0;
  private opened = 0;
  /** Chunks being compressed, and who waits for none to be. */
  private compressing = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly ownChunkBytes = OWN_CHUNK_BYTES,
    inflatedKept = INFLATED_KEPT,
  ) {
    this.kept = new Array<SpanChunk | undefined>(inflatedKept).fill(undefined);
  }

  /** Bytes charged for every chunk with a span held (see the file comment). */
  get bytes(): number {
    return this.chargedBytes;
  }

  /** Chunks inflated so far (for tests and benchmarks). */
  get inflateCount(): number {
    return this.inflations;
  }

  /**
   * Copies a span's message in and counts the span as held there. A message larger than the
   * own-chunk limit gets a chunk of its own, sealed at once.
   */
  add(message: Uint8Array): { chunk: SpanChunk; offset: number } {
    const length = message.length;
    if (length > this.ownChunkBytes) {
      const own = new SpanChunk(this, length, this.opened++);
      const offset = own.append(message);
      own.liveSpans = 1;
      own.liveBytes = length;
      this.chargedBytes += own.charge;
      this.sealAndCompress(own);
      return { chunk: own, offset };
    }
    let chunk = this.open;
    if (chunk === undefined || !chunk.fits(length)) {
      if (chunk !== undefined) this.sealAndCompress(chunk);
      chunk = this.open = new SpanChunk(this, this.chunkBytes, this.opened++);
    }
    const offset = chunk.append(message);
    chunk.liveSpans++;
    chunk.liveBytes += length;
    this.chargedBytes += length;
    return { chunk, offset };
  }

  /** A span whose message is in `chunk` is no longer held. */
  release(chunk: SpanChunk, length: number): void {
    const before = chunk.charge;
    chunk.liveSpans--;
    chunk.liveBytes -= length;
    this.chargedBytes += chunk.charge - before;
    if (chunk.liveSpans === 0 && chunk.isSealed) this.forgetInflated(chunk);
  }

  /** Inflates a compressed chunk and keeps the result for the next reads. */
  inflate(chunk: SpanChunk): Uint8Array {
    const raw = chunk.inflateNow();
    this.inflations++;
    const evicted = this.kept[this.keptNext];
    if (evicted !== undefined) evicted.inflated = undefined;
    this.kept[this.keptNext] = chunk;
    this.keptNext = (this.keptNext + 1) % this.kept.length;
    chunk.inflated = raw;
    return raw;
  }

  /** Resolves once no chunk is being compressed (for tests and benchmarks). */
  idle(): Promise<void> {
    if (this.compressing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private sealAndCompress(chunk: SpanChunk): void {
    if (chunk === this.open) this.open = undefined;
    const before = chunk.charge;
    const raw = chunk.seal();
    this.chargedBytes += chunk.charge - before;
    if (raw === undefined) return;
    this.compressing++;
    // The chunk's bytes no longer change, so the thread pool may read them meanwhile.
    deflateRaw(raw, { level: DEFLATE_LEVEL }, (err, deflated) => {
      const charged = chunk.charge;
      chunk.settle(err === null ? deflated : undefined);
      this.chargedBytes += chunk.charge - charged;
      if (--this.compressing === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }

  /** Drops a freed chunk from the cache, so the cache does not keep it alive. */
  private forgetInflated(chunk: SpanChunk): void {
    if (chunk.inflated === undefined) return;
    chunk.inflated = undefined;
    const at = this.kept.indexOf(chunk);
    if (at >= 0) this.kept[at] = undefined;
  }
}
