import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpanChunks, type SpanChunk } from '../../shared/storage/memory/span-chunks.js';

/** A message that compresses well, as Span messages of one mesh do (repeated keys and names). */
const message = (n: number, length = 100) => new TextEncoder().encode(`span ${n} http.route=/cart `.repeat(length).slice(0, length));

const bytesOf = (chunk: SpanChunk, offset: number, length: number) => chunk.bytes().slice(offset, offset + length);

describe('span chunks', () => {
  it('drops a chunk whose last span went while it was being compressed', async () => {
    const chunks = new SpanChunks(1024, 512);
    const held = Array.from({ length: 6 }, (_, n) => chunks.add(message(n, 200)));
    const sealed = held[0].chunk;
    expect(sealed.isSealed).toBe(true);
    for (const h of held.filter((h) => h.chunk === sealed)) chunks.release(h.chunk, 200);
    await chunks.idle();
    expect(sealed.isCompressed).toBe(false);
    expect(chunks.bytes).toBe(200);
  });

  it('gives back every message byte for byte while its chunk is compressed and after', async () => {
    const chunks = new SpanChunks(1024, 512);
    const held = Array.from({ length: 50 }, (_, n) => ({ message: message(n, 90 + n), ...chunks.add(message(n, 90 + n)) }));
    // Compression runs on the thread pool: until it is done the chunk reads as it was written.
    expect(held.every((h) => !h.chunk.isCompressed)).toBe(true);
    for (const h of held) expect(bytesOf(h.chunk, h.offset, h.message.length)).toEqual(h.message);
    await chunks.idle();
    const sealed = held.filter((h) => h.chunk.isSealed);
    expect(sealed.length).toBeGreaterThan(10);
    expect(sealed.every((h) => h.chunk.isCompressed)).toBe(true);
    for (const h of held) expect(bytesOf(h.chunk, h.offset, h.message.length)).toEqual(h.message);
  });

  it('keeps a chunk whose bytes do not compress as it is', async () => {
    const chunks = new SpanChunks(1024, 512);
    const messages = Array.from({ length: 12 }, () => new Uint8Array(randomBytes(200)));
    const held = messages.map((m) => chunks.add(m));
    await chunks.idle();
    expect(held[0].chunk.isSealed).toBe(true);
    expect(held[0].chunk.isCompressed).toBe(false);
    messages.forEach((m, i) => expect(bytesOf(held[i].chunk, held[i].offset, m.length)).toEqual(m));
  });

  it('charges the open chunk its held messages and a sealed chunk its compressed size until its last span goes', async () => {
    const chunks = new SpanChunks(1024, 512);
    const first = chunks.add(message(1, 200));
    const second = chunks.add(message(2, 200));
    expect(chunks.bytes).toBe(400);
    chunks.release(second.chunk, 200);
    expect(chunks.bytes).toBe(200);

    // Fill the chunk past its end: it is sealed and charged what its compressed bytes take.
    const rest = [chunks.add(message(3, 300)), chunks.add(message(4, 300))];
    const next = chunks.add(message(5, 300));
    expect(first.chunk.isSealed).toBe(true);
    // Until compressed, a sealed chunk is charged its allocation.
    expect(chunks.bytes).toBe(1024 + 300);
    await chunks.idle();
    expect(next.chunk).not.toBe(first.chunk);
    const sealedCharge = chunks.bytes - 300;
    expect(sealedCharge).toBeGreaterThan(0);
    expect(sealedCharge).toBeLessThan(200 + 300 + 300);

    // Its bytes stay charged while any span in it is held, and go with the last one.
    chunks.release(first.chunk, 200);
    chunks.release(rest[0].chunk, 300);
    expect(chunks.bytes).toBe(sealedCharge + 300);
    chunks.release(rest[1].chunk, 300);
    expect(chunks.bytes).toBe(300);
    chunks.release(next.chunk, 300);
    expect(chunks.bytes).toBe(0);
  });

  it('gives a message above the own-chunk size a sealed chunk of its own', async () => {
    const chunks = new SpanChunks(1024, 512);
    const small = chunks.add(message(1, 100));
    const big = chunks.add(message(2, 4000));
    expect(big.chunk).not.toBe(small.chunk);
    expect(big.chunk.isSealed).toBe(true);
    expect(small.chunk.isSealed).toBe(false);
    await chunks.idle();
    expect(big.chunk.isCompressed).toBe(true);
    expect(bytesOf(big.chunk, big.offset, 4000)).toEqual(message(2, 4000));
    expect(chunks.bytes).toBeLessThan(100 + 4000);
    chunks.release(big.chunk, 4000);
    expect(chunks.bytes).toBe(100);
  });

  it('inflates a chunk once for repeated reads, and again only after newer reads pushed it out', async () => {
    const chunks = new SpanChunks(1024, 512, 8);
    const held = Array.from({ length: 60 }, (_, n) => chunks.add(message(n, 200)));
    await chunks.idle();
    const sealed = [...new Set(held.map((h) => h.chunk).filter((c) => c.isSealed))];
    expect(sealed.length).toBeGreaterThan(9);
    sealed[0].bytes();
    sealed[0].bytes();
    expect(chunks.inflateCount).toBe(1);
    for (const c of sealed.slice(1, 9)) c.bytes();
    expect(chunks.inflateCount).toBe(9);
    sealed[0].bytes();
    expect(chunks.inflateCount).toBe(10);
  });

  it('lets go of a freed chunk it kept inflated', async () => {
    const chunks = new SpanChunks(1024, 512);
    const held = Array.from({ length: 10 }, (_, n) => ({ length: 200, ...chunks.add(message(n, 200)) }));
    await chunks.idle();
    const sealed = held[0].chunk;
    sealed.bytes();
    expect(sealed.inflated).toBeDefined();
    for (const h of held.filter((h) => h.chunk === sealed)) chunks.release(h.chunk, h.length);
    expect(sealed.inflated).toBeUndefined();
  });
});
