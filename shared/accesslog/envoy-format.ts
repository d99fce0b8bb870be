/**
 * Envoy access-log format strings (`%START_TIME% "%REQ(:METHOD)%" …`) compiled into a matcher that
 * splits a line written with that format back into its operator values. Istio's default TEXT
 * format is one such string (ISTIO_TEXT_FORMAT), so the default and custom formats share one path.
 *
 * Matching is a single left-to-right scan: each operator's value runs up to the first occurrence of
 * the literal text that follows it in the format (e.g. `" "` after a quoted header). That is what
 * "split on spaces outside double quotes" means for Istio's format, generalized, and it costs
 * O(line length) — a regular expression with one lazy group per operator could backtrack
 * catastrophically on a long garbage line.
 */
import { AccessLogParseError, EnvoyFormatError, quoteValue } from './errors.js';

/** Istio's default TEXT access-log format (istio:pilot/pkg/model/telemetry_logging.go), newline-terminated. */
export const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% ' +
  '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% ' +
  '%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ' +
  '%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** One `%COMMAND(args):maxLength%` of a format. */
export interface EnvoyOperator {
  /** As written, e.g. `%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`. */
  readonly text: string;
  /** Upper case, e.g. `REQ`. */
  readonly command: string;
  /** What stood between the parentheses, as written (`X-ENVOY-ORIGINAL-PATH?:PATH`); undefined without. */
  readonly args?: string;
  /** 1-based position among the format's operators, used in error messages ("field 5"). */
  readonly position: number;
}

export type FormatSegment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'operator'; readonly operator: EnvoyOperator };

export interface MatchedValue {
  readonly operator: EnvoyOperator;
  /** The text the line holds for the operator; Envoy's `-` (missing) is passed through as is. */
  readonly value: string;
}

export interface CompiledEnvoyFormat {
  /** The format string it was compiled from. */
  readonly format: string;
  readonly segments: readonly FormatSegment[];
  readonly operators: readonly EnvoyOperator[];
  /**
   * Splits one line (a trailing `\n` / `\r\n` is ignored) into operator values. Throws
   * AccessLogParseError naming the column and the expected text when the line does not fit.
   */
  match(line: string): MatchedValue[];
  /**
   * Like match(), but returns the values read before the line stopped fitting along with the
   * error, so a caller checking values in order can report the earliest problem (a shifted field
   * is usually visible as a bad value before the line runs out of separators).
   */
  scan(line: string): { readonly values: MatchedValue[]; readonly error?: AccessLogParseError };
}

const COMMAND = /[A-Z][A-Z0-9_]*/y;
const MAX_LENGTH = /:\d+/y;

/**
 * Compiles an Envoy format string. Throws EnvoyFormatError for an unterminated or malformed
 * operator, and for two operators with nothing between them, since a line could not be split
 * between their values.
 */
export function compileEnvoyFormat(format: string): CompiledEnvoyFormat {
  if (format.trim() === '') throw new EnvoyFormatError('the access-log format is empty');
  const segments: FormatSegment[] = [];
  const operators: EnvoyOperator[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, percent);
    // Envoy writes a literal percent sign as `%%`.
    if (format[percent + 1] === '%') {
      literal += '%';
      i = percent + 2;
      continue;
    }
    const { operator, end } = readOperator(format, percent, operators.length + 1);
    if (literal !== '') segments.push({ kind: 'literal', text: literal });
    else if (segments.length > 0) {
      const previous = segments[segments.length - 1];
      if (previous.kind === 'operator') {
        throw new EnvoyFormatError(
          `access-log format: ${previous.operator.text} and ${operator.text} (column ${percent + 1}) have nothing between them, so a line cannot be split between their values`,
        );
      }
    }
    literal = '';
    segments.push({ kind: 'operator', operator });
    operators.push(operator);
    i = end;
  }
  // Envoy ends every entry with a newline; lines arrive with it already removed or not at all.
  literal = literal.replace(/\r?\n$/, '');
  if (literal !== '') segments.push({ kind: 'literal', text: literal });
  if (operators.length === 0) throw new EnvoyFormatError('access-log format has no %OPERATOR%, so lines would carry no data');

  return {
    format,
    segments,
    operators,
    match: (line) => {
      const { values, error } = scanLine(segments, line);
      if (error) throw error;
      return values;
    },
    scan: (line) => scanLine(segments, line),
  };
}

function readOperator(format: string, start: number, position: number): { operator: EnvoyOperator; end: number } {
  let i = start + 1;
  COMMAND.lastIndex = i;
  const command = COMMAND.exec(format);
  if (!command) {
    throw new EnvoyFormatError(
      `access-log format: '%' at column ${start + 1} does not start an operator (expected %COMMAND% or %COMMAND(args)%, write %% for a literal '%'), found ${quoteValue(format.slice(start, start + 20))}`,
    );
  }
  i += command[0].length;
  let args: string | undefined;
  if (format[i] === '(') {
    // Arguments may hold ':' '?' and even '%' (START_TIME(%Y-%m-%d)), so they end at the ')'
    // that is followed by the operator's closing '%' or a ':<max length>%'.
    const close = findArgsEnd(format, i + 1);
    if (close < 0) {
      throw new EnvoyFormatError(`access-log format: operator at column ${start + 1} (${quoteValue(format.slice(start, start + 30))}) has no closing ')%'`);
    }
    args = format.slice(i + 1, close);
    i = close + 1;
  }
  MAX_LENGTH.lastIndex = i;
  const maxLength = MAX_LENGTH.exec(format);
  if (maxLength) i += maxLength[0].length;
  if (format[i] !== '%') {
    throw new EnvoyFormatError(
      `access-log format: operator %${command[0]}${args !== undefined ? `(${args})` : ''} at column ${start + 1} is not closed by '%' (found ${quoteValue(format.slice(i, i + 10))})`,
    );
  }
  const text = format.slice(start, i + 1);
  return { operator: { text, command: command[0], args, position }, end: i + 1 };
}

function findArgsEnd(format: string, from: number): number {
  for (let j = format.indexOf(')', from); j >= 0; j = format.indexOf(')', j + 1)) {
    if (format[j + 1] === '%' || /^:\d+%/.test(format.slice(j + 1, j + 12))) return j;
  }
  return -1;
}

function scanLine(segments: readonly FormatSegment[], rawLine: string): { values: MatchedValue[]; error?: AccessLogParseError } {
  const line = rawLine.replace(/\r?\n$/, '');
  const values: MatchedValue[] = [];
  let pos = 0;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s];
    if (segment.kind === 'literal') {
      if (!line.startsWith(segment.text, pos)) {
        const error = new AccessLogParseError(
          `line does not match the access-log format at column ${pos + 1}: expected ${quoteValue(segment.text)}, found ${quoteValue(line.slice(pos, pos + 20))}`,
        );
        return { values, error };
      }
      pos += segment.text.length;
      continue;
    }
    const next = segments[s + 1];
    let end = line.length;
    if (next !== undefined && next.kind === 'literal') {
      end = line.indexOf(next.text, pos);
      if (end < 0) {
        const error = new AccessLogParseError(
          `line ends inside ${segment.operator.text} (field ${segment.operator.position}, from column ${pos + 1}): no ${quoteValue(next.text)} follows`,
          segment.operator.text,
        );
        return { values, error };
      }
    }
    values.push({ operator: segment.operator, value: line.slice(pos, end) });
    pos = end;
  }
  if (pos !== line.length) {
    return { values, error: new AccessLogParseError(`line has unexpected text after the last field at column ${pos + 1}: ${quoteValue(line.slice(pos, pos + 20))}`) };
  }
  return { values };
}

let istioText: CompiledEnvoyFormat | undefined;

/** ISTIO_TEXT_FORMAT, compiled once. */
export function istioTextFormat(): CompiledEnvoyFormat {
  istioText ??= compileEnvoyFormat(ISTIO_TEXT_FORMAT);
  return istioText;
}
