/**
 * The shape of a settings table: which environment variable and flag set which configuration key,
 * for which roles, with what help text. The value's schema and default are not written here but
 * read from the schema field of the component that uses it (`field`), so a default exists once.
 * Entries written the older way, with their own `schema` and `default`, are still accepted.
 *
 * Generic machinery only: this module knows no component.
 */
import type { z } from 'zod';

interface SettingBase {
  /** Environment variable (MESHTEL_…). */
  readonly env: string;
  /** Command-line flag (--…). */
  readonly flag: string;
  /** Shown in --help and README: what it does and what values it accepts. */
  readonly help: string;
  /** Roles that read it ('*' = all). */
  readonly roles: readonly string[];
}

/** A setting whose schema and default are a component's own schema field (with `.default(…)`). */
export interface FieldSetting extends SettingBase {
  readonly field: z.ZodType;
}

/** A setting written the older way: schema (coercing text itself) and default beside it. */
export interface LegacySetting extends SettingBase {
  readonly schema: z.ZodType;
  readonly default: string | number;
}

export type SettingEntry = FieldSetting | LegacySetting;
export type SettingsTable = Readonly<Record<string, SettingEntry>>;

/** Keeps each entry's own type, so the configuration is typed per key. */
export const settingsTable = <T extends SettingsTable>(table: T): T => table;

type ValueOf<E> = E extends { readonly field: infer F extends z.ZodType }
  ? z.output<F>
  : E extends { readonly schema: infer S extends z.ZodType }
    ? z.output<S>
    : never;

/** The validated configuration a table describes: one key per entry. */
export type ConfigOf<T extends SettingsTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

/** An entry with its schema and default worked out, whichever way it was written. */
export interface ResolvedSetting extends SettingBase {
  readonly key: string;
  readonly default: string | number;
  /** Validates a value as given (text from env/flags, or the default). */
  parse(raw: string | number): { success: true; data: unknown } | { success: false; error: z.ZodError };
}

export function resolveSettings(table: SettingsTable): ResolvedSetting[] {
  return Object.entries(table).map(([key, entry]) => resolveSetting(key, entry));
}

function resolveSetting(key: string, entry: SettingEntry): ResolvedSetting {
  const { env, flag, help, roles } = entry;
  if ('schema' in entry) {
    const schema = entry.schema;
    return { key, env, flag, help, roles, default: entry.default, parse: (raw) => schema.safeParse(raw) };
  }
  const field = entry.field;
  const fallback = field.safeParse(undefined);
  const data: unknown = fallback.success ? fallback.data : undefined;
  if (typeof data !== 'string' && typeof data !== 'number' && typeof data !== 'boolean') {
    throw new Error(`setting ${key}: its schema field needs a text, number or boolean default`);
  }
  // Env and flags are text; a numeric field reads it as Number() does (as z.coerce.number would),
  // so "abc" → NaN is reported as "expected an integer" and "" as 0; a boolean field takes
  // exactly "true" or "false".
  const type = baseType(field);
  const fromText = (raw: string | number): unknown => {
    if (typeof raw !== 'string') return raw;
    if (type === 'number') return Number(raw);
    if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
    return raw;
  };
  return {
    key, env, flag, help, roles,
    default: typeof data === 'boolean' ? String(data) : data,
    parse: (raw) => field.safeParse(fromText(raw)),
  };
}

/** The field's type under its default/optional wrappers (number, boolean, string …). */
function baseType(schema: z.ZodType): string {
  let def: { type: string; innerType?: z.ZodType } = schema.def as { type: string; innerType?: z.ZodType };
  while (def.innerType && ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(def.type)) {
    def = def.innerType.def as { type: string; innerType?: z.ZodType };
  }
  return def.type;
}
