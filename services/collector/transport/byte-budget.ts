/**
 * One process-wide allowance of request bytes the receivers may hold at once: bodies being read,
 * bodies being inflated and the inflated bytes until the request is answered, over every HTTP
 * listener and every gRPC stream. Per-request limits (MESHTEL_MAX_REQUEST_BODY_BYTES,
 * MESHTEL_MAX_DECOMPRESSED_BODY_BYTES) bound one request; without this, N concurrent requests
 * still cost N times that (150 gzip bombs of 16 KiB each held 2.5 GB). Past the allowance a
 * receiver refuses with HTTP 503 / gRPC RESOURCE_EXHAUSTED and a retry delay, so well-behaved
 * senders keep their data and come back.
 */

/** The receivers hold as many request bytes as they may right now (HTTP 503, gRPC RESOURCE_EXHAUSTED). */
export class ReceiverBusyError extends Error {
  /** Request bytes are released within milliseconds to seconds; one second is a fair first retry. */
  readonly retryAfterSeconds = 1;
  constructor(readonly limitBytes: number) {
    super(`receivers are holding their limit of ${limitBytes} request bytes (MESHTEL_MAX_BODY_BYTES_IN_FLIGHT); retry later`);
    this.name = 'ReceiverBusyError';
  }
}

export class ByteBudget {
  #used = 0;
  #peak = 0;
  #refusals = 0;

  constructor(readonly capacity: number) {}

  /** Takes `bytes` if they fit; false (and counted) when they do not. */
  tryTake(bytes: number): boolean {
    if (bytes > 0 && this.#used + bytes > this.capacity) {
      this.#refusals++;
      return false;
    }
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }

  get used(): number {
    return this.#used;
  }

  /** Highest `used` seen: what the bound actually cost, for tests and metrics. */
  get peak(): number {
    return this.#peak;
  }

  get refusals(): number {
    return this.#refusals;
  }

  /** A holder for one request's bytes, all given back by release() (idempotent). */
  reservation(): Reservation {
    return new Reservation(this);
  }
}

export class Reservation {
  #held = 0;
  #released = false;

  constructor(readonly budget: ByteBudget) {}

  /** Takes `bytes` more or throws ReceiverBusyError; after release() nothing more is taken. */
  take(bytes: number): void {
    if (this.#released) throw new ReceiverBusyError(this.budget.capacity);
    if (!this.budget.tryTake(bytes)) throw new ReceiverBusyError(this.budget.capacity);
    this.#held += bytes;
  }

  /** Gives back part of what is held (e.g. the compressed body once inflated). */
  giveBack(bytes: number): void {
    const n = Math.min(bytes, this.#held);
    this.#held -= n;
    this.budget.give(n);
  }

  get held(): number {
    return this.#held;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.give(this.#held);
    this.#held = 0;
  }
}
