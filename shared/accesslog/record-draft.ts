/**
 * A mutable AccessLogRecord under construction, shared by the line parsers (TEXT, custom Envoy
 * formats, JSON): operators fill it field by field, then finishRecord() applies the caller's
 * defaults, Istio's derivations and the deterministic id.
 */
import type { AccessLogRecord, DestinationWorkload, Reporter, Workload } from '../model/access-log.js';
import { AccessLogParseError } from './errors.js';
import { accessLogId } from './id.js';
import { fillDerivedFields, parseUpstreamCluster } from '../istio/naming.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type AccessLogDraft = Partial<
  Mutable<Omit<AccessLogRecord, 'id' | 'source' | 'destination' | 'attributes' | 'responseFlags'>>
> & {
  source: Mutable<Workload>;
  destination: Mutable<DestinationWorkload>;
  attributes: Record<string, string>;
  responseFlags?: string[];
};

export function newDraft(): AccessLogDraft {
  return { source: {}, destination: {}, attributes: {} };
}

/**
 * Turns a filled draft into a record. `defaults` (e.g. what an OTLP log record said around the
 * line: its time, labels, input 'otlp') fill what the line left missing; the line wins field by
 * field, attributes are merged. Kind: the caller's, else `http` when the entry has a method or an
 * HTTP protocol (Istio's TCP entries print `"- - -"`), else `tcp`. `reportingWorkload` (the pod
 * whose proxy wrote the line, when the shipper said so) fills the reporter's own side: the source
 * for a client-side entry, the destination for a server-side one.
 */
export function finishRecord(
  draft: AccessLogDraft,
  defaults: Partial<AccessLogRecord> = {},
  reportingWorkload?: Workload,
): AccessLogRecord {
  // Operators only ever assign defined values, so the draft needs no cleaning; defaults might.
  // Built by assignment into one fresh object: this runs once per access-log line.
  const { source, destination, attributes, responseFlags, ...fields } = draft;
  const merged: Partial<Mutable<AccessLogRecord>> = hasKeys(defaults) ? { ...definedOnly(defaults), ...fields } : fields;
  if (merged.startTimeUnixNano === undefined) {
    throw new AccessLogParseError('entry has no start time (%START_TIME% / start_time missing or "-")', 'START_TIME');
  }
  const derived = fillDerivedFields({
    upstreamCluster: merged.upstreamCluster,
    authority: merged.authority,
    requestedServerName: merged.requestedServerName,
    reporter: merged.reporter,
    source: defaults.source ? { ...definedOnly(defaults.source), ...source } : source,
    destination: defaults.destination ? { ...definedOnly(defaults.destination), ...destination } : destination,
  });
  const sides = reportingSide(derived, reportingWorkload);
  merged.reporter = derived.reporter;
  merged.source = sides.source ?? derived.source;
  merged.destination = sides.destination ?? derived.destination;
  merged.kind ??= merged.method !== undefined || merged.protocol !== undefined ? 'http' : 'tcp';
  merged.input ??= 'lines';
  merged.responseFlags = responseFlags ?? defaults.responseFlags ?? [];
  const mtls = merged.mtls ?? istioMtlsFromSni(derived.reporter, merged.requestedServerName);
  if (mtls !== undefined) merged.mtls = mtls;
  merged.attributes = defaults.attributes ? { ...defaults.attributes, ...attributes } : attributes;
  const withoutId = merged as Omit<AccessLogRecord, 'id'>;
  return { id: accessLogId(withoutId), ...withoutId };
}

function hasKeys(value: object): boolean {
  for (const _key in value) return true;
  return false;
}

function reportingSide(
  record: Pick<AccessLogRecord, 'reporter' | 'source' | 'destination'>,
  reporting: Workload | undefined,
): Partial<Pick<AccessLogRecord, 'source' | 'destination'>> {
  if (!reporting) return {};
  const known = definedOnly(reporting);
  if (record.reporter === 'source') return { source: { ...known, ...definedOnly(record.source) } };
  if (record.reporter === 'destination') return { destination: { ...known, ...definedOnly(record.destination) } };
  return {};
}

/**
 * On the server side, an SNI of the form `outbound_.<port>_.<subset>_.<host>` is only ever set by
 * an Istio client proxy originating ISTIO_MUTUAL TLS, so the hop was mTLS. Anything else leaves
 * the question open (undefined), as a plain-text line cannot say more.
 */
function istioMtlsFromSni(reporter: Reporter, requestedServerName: string | undefined): boolean | undefined {
  if (reporter !== 'destination' || !requestedServerName?.startsWith('outbound_.')) return undefined;
  return parseUpstreamCluster(requestedServerName).direction === 'outbound' ? true : undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

