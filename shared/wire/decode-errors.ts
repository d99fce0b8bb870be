/**
 * Decode errors of the OTLP codecs. Decoders throw a `DecodeProblem` at the point of failure;
 * each enclosing level adds its field name on the way out (in a catch, so the happy path pays
 * nothing for it), and the public entry point turns it into one `OtlpDecodeError` whose message
 * says what failed and where, e.g.
 * `resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: expected an integer string`.
 */

/** The body could not be decoded at all; `message` names the problem (shown to the sender). */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

/** Internal: a decode failure plus the path to it, innermost segment first. */
export class DecodeProblem extends Error {
  readonly segments: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'DecodeProblem';
  }

  /** `resourceSpans[0].scopeSpans[1]` from the collected segments. */
  path(): string {
    let out = '';
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i];
      out += s.startsWith('[') || out === '' ? s : `.${s}`;
    }
    return out;
  }
}

/** Adds `segment` (a field name, or `name[index]`) to a DecodeProblem passing outwards. */
export function within(err: unknown, field: string, index?: number): unknown {
  if (err instanceof DecodeProblem) err.segments.push(index === undefined ? field : `${field}[${index}]`);
  return err;
}

/** Builds the public error: `<prefix> at <path>: <problem>` (or without path at the top level). */
export function toOtlpDecodeError(err: unknown, prefix: string): OtlpDecodeError {
  if (err instanceof OtlpDecodeError) return err;
  if (err instanceof DecodeProblem) {
    const path = err.path();
    return new OtlpDecodeError(path === '' ? `${prefix}: ${err.problem}` : `${prefix} at ${path}: ${err.problem}`);
  }
  // Anything else is a bug in the decoder, but the sender still deserves a clear refusal.
  return new OtlpDecodeError(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
}
