/**
 * The regular expression a TraceQL `=~`/`!~` literal means. TraceQL regexes are Go RE2, fully
 * anchored. JavaScript's syntax covers the RE2 a user writes; a leading `(?i)` (RE2's
 * case-insensitive flag, which JavaScript lacks) becomes the `i` flag. Throws SyntaxError for a
 * pattern JavaScript cannot compile (the compiler turns that into a 400).
 */
export function compileRegex(source: string): RegExp {
  const insensitive = source.startsWith('(?i)');
  const body = insensitive ? source.slice(4) : source;
  return new RegExp(`^(?:${body})$`, insensitive ? 'iu' : 'u');
}
