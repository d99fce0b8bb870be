/** The span-metrics deriver's extra dimensions as an operator writes them: a comma-separated list. */
import { z } from 'zod';

/** Span or resource attribute keys, `key,key` (empty = none): the text form of `dimensions`. */
export const dimensionListText = z.string().regex(/^[^,\s]*(,[^,\s]+)*$/, 'a comma-separated list of attribute keys').default('');

export function parseDimensionList(text: string): string[] {
  return text.split(',').filter((d) => d !== '');
}
