/**
 * The span document's JSON text, written directly: the ingester's hot path. The document itself is
 * defined by `encodeSpanDocument` (document.ts); this writes exactly the text
 * `JSON.stringify({ ...encodeSpanDocument(span), graph })` would (a unit test holds the two to the
 * same bytes), at about 0.6 of the CPU (`npx tsx test/bench/es-span-json.ts`: 21–23 against
 * 35–38 µs a span of the load generator's, content hash, id and graph observation included).
 *
 * Why it is faster: most of a document repeats from span to span. The resource (≈ 40 % of a
 * document: its attributes stored, as tag terms, as TraceQL terms and keys) and the scope are
 * the same objects for all the spans of one ResourceSpans/ScopeSpans, and most attributes are the
 * same KeyValue objects across spans (the protobuf decoder hands out one immutable KeyValue per
 * repeated attribute, keyvalue-cache.ts). Their pieces of JSON text are made once per object and
 * joined, instead of building the document's objects and serializing them for every span. The
 * caches are keyed by object identity (WeakMaps, so they go with the objects): this relies on the
 * model being immutable (span.ts: every field readonly), which the decoder's cache relies on too.
 *
 * Repeats are dropped exactly as the object encoder drops them (`tags`: across all five places;
 * TraceQL terms and keys: within a scope, since the scope is part of them).
 */
import type { InstrumentationScope, KeyValue, Resource, SpanRecord } from '../../model/span.js';
import { durationUs, startTimeUs } from '../../model/span.js';
import { attributeText } from '../../model/attribute-text.js';
import { tenantOfResource } from '../../model/tenant.js';
import { anyValueToJson } from '../../otlp/common/common-json.js';
import { KIND_NAMES, STATUS_NAMES, spanDurationNanos } from '../../traceql/evaluate.js';
import { TAG_TERM_MAX_CHARS } from './templates.js';
import { tagTerm } from './tags.js';
import { keyPrefix, sortableNumber, typedPrefix, valueTerm, type TermScope } from './traceql-terms.js';

/** The attribute scopes a KeyValue can appear in, as indices into its per-scope terms. */
const SPAN = 0;
const RESOURCE = 1;
const INSTRUMENTATION = 2;
const EVENT = 3;
const LINK = 4;
const SCOPE_NAMES: readonly TermScope[] = ['span', 'resource', 'instrumentation', 'event', 'link'];

/** A TraceQL term and key of one attribute in one scope, with their JSON text. */
interface ScopedTerms {
  readonly term: string;
  /** `"term"` — empty when the term is too long for the index (left out, as by the encoder). */
  readonly termJson: string;
  readonly key: string;
  readonly keyJson: string;
}

/** One attribute's pieces of document text. */
class AttributeText {
  /** `{"key":…,"value":{…}}`, as stored under `span`. */
  readonly json: string;
  /** The `tags` term, and its JSON text. */
  readonly tag: string;
  readonly tagJson: string;
  private readonly scoped: (ScopedTerms | undefined)[] = [undefined, undefined, undefined, undefined, undefined];

  constructor(private readonly kv: KeyValue) {
    this.json = JSON.stringify({ key: kv.key, value: anyValueToJson(kv.value) });
    this.tag = tagTerm(kv.key, attributeText(kv.value));
    this.tagJson = JSON.stringify(this.tag);
  }

  terms(scope: number): ScopedTerms {
    let s = this.scoped[scope];
    if (s === undefined) {
      const name = SCOPE_NAMES[scope]!;
      // Present even when the type has no literal: `!= nil` still finds it (traceql-terms.ts).
      const term = keyPrefix(name, this.kv.key) + (valueTerm(this.kv.value) ?? 'x:');
      const key = `${name}.${this.kv.key}`;
      s = { term, termJson: term.length <= TAG_TERM_MAX_CHARS ? JSON.stringify(term) : '', key, keyJson: JSON.stringify(key) };
      this.scoped[scope] = s;
    }
    return s;
  }
}

/** `make(key)`, made once per key object and kept as long as the object lives. */
function perObject<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}

const textOf = perObject((kv: KeyValue) => new AttributeText(kv));

/** The text of one attribute list in one scope, its repeats dropped. */
class ListText {
  /** `[…]` of the stored attributes. */
  readonly json: string;
  /** Its tag terms without repeats, in order, as a set and as JSON text (comma-separated, as the other `…Json`). */
  readonly tags: readonly string[];
  readonly tagSet: ReadonlySet<string>;
  readonly tagsJson: string;
  readonly termsJson: string;
  readonly keysJson: string;

  constructor(kvs: readonly KeyValue[], scope: number) {
    const tags = new Set<string>();
    const terms = new Set<string>();
    const keys = new Set<string>();
    const tagsJson: string[] = [];
    const termsJson: string[] = [];
    const keysJson: string[] = [];
    for (const kv of kvs) {
      const t = textOf(kv);
      if (!tags.has(t.tag)) {
        tags.add(t.tag);
        tagsJson.push(t.tagJson);
      }
      const s = t.terms(scope);
      if (!terms.has(s.term)) {
        terms.add(s.term);
        if (s.termJson !== '') termsJson.push(s.termJson);
      }
      if (!keys.has(s.key)) {
        keys.add(s.key);
        keysJson.push(s.keyJson);
      }
    }
    const json: string[] = [];
    pushAttributes(json, kvs);
    this.json = json.join('');
    this.tags = [...tags];
    this.tagSet = tags;
    this.tagsJson = tagsJson.join(',');
    this.termsJson = termsJson.join(',');
    this.keysJson = keysJson.join(',');
  }
}

/** What a resource adds to each of its spans' documents. */
class ResourceText extends ListText {
  /** The stored `resource` object's text. */
  readonly storedJson: string;
  readonly tenantJson: string;

  constructor(resource: Resource) {
    super(resource.attributes, RESOURCE);
    this.storedJson = `{"attributes":${this.json},"droppedAttributesCount":${resource.droppedAttributesCount},"schemaUrl":${JSON.stringify(resource.schemaUrl)}}`;
    const tenant = tenantOfResource(resource);
    this.tenantJson = tenant === undefined ? '' : `"tenant":${JSON.stringify(tenant)},`;
  }
}

/** What an instrumentation scope adds to each of its spans' documents. */
class ScopeText extends ListText {
  readonly storedJson: string;

  constructor(scope: InstrumentationScope) {
    super(scope.attributes, INSTRUMENTATION);
    this.storedJson =
      `{"name":${JSON.stringify(scope.name)},"version":${JSON.stringify(scope.version)},"attributes":${this.json},` +
      `"droppedAttributesCount":${scope.droppedAttributesCount},"schemaUrl":${JSON.stringify(scope.schemaUrl)}}`;
  }
}

const resourceText = perObject((resource: Resource) => new ResourceText(resource));
const scopeText = perObject((scope: InstrumentationScope) => new ScopeText(scope));

/**
 * The document is written as an array of pieces joined once at the end: joining strings one by
 * one makes a rope, and flattening a rope of a hundred pieces (when the request is sent) cost
 * more than writing the pieces.
 */
function pushAttributes(out: string[], kvs: readonly KeyValue[]): void {
  out.push('[');
  for (let i = 0; i < kvs.length; i++) {
    if (i > 0) out.push(',');
    out.push(textOf(kvs[i]!).json);
  }
  out.push(']');
}

/** `[a,b,…]` of JSON fragments (each one value, or several already comma-separated). */
function pushList(out: string[], parts: readonly string[]): void {
  out.push('[');
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out.push(',');
    out.push(parts[i]!);
  }
  out.push(']');
}

/**
 * Collects one span's terms of one kind across its attribute lists, dropping repeats the way a
 * Set over all of them in order would. A list whose terms were collected once for many spans (a
 * resource's, a scope's) is joined whole when none of its terms was seen before, and then looked
 * up in its own set instead of being copied into this one.
 */
class TermCollector {
  /** Terms added one by one: a span has few, and an array search beats a Set's upkeep at that size. */
  private readonly seen: string[] = [];
  private readonly lists: ReadonlySet<string>[] = [];
  /** JSON of the terms kept, in order (a list's whole fragment as one part). */
  readonly parts: string[] = [];

  private has(term: string): boolean {
    if (this.seen.includes(term)) return true;
    for (const list of this.lists) if (list.has(term)) return true;
    return false;
  }

  add(term: string, termJson: string): void {
    if (this.has(term)) return;
    this.seen.push(term);
    if (termJson !== '') this.parts.push(termJson);
  }

  /** The `tags` terms of these attributes. */
  addTags(kvs: readonly KeyValue[]): void {
    for (const kv of kvs) {
      const t = textOf(kv);
      this.add(t.tag, t.tagJson);
    }
  }

  /** A list's own terms, repeats among them already dropped. */
  addList(terms: readonly string[], termSet: ReadonlySet<string>, json: string): void {
    // (Only `tags` lists come here, and tags are never left out for length: `json` holds them all.)
    if (terms.length === 0) return;
    let overlaps = false;
    for (const t of this.seen) if (termSet.has(t)) overlaps = true;
    for (const list of this.lists) for (const t of list) if (termSet.has(t)) overlaps = true;
    if (!overlaps) {
      this.lists.push(termSet);
      this.parts.push(json);
      return;
    }
    // Rare: the same key=value on the span and its resource. Term by term, first one wins.
    for (const t of terms) this.add(t, JSON.stringify(t));
  }
}

/** A span document's text, with what its index and id are made of. */
export interface SpanDocumentJson {
  readonly json: string;
  /** Epoch ms of the span's start: which daily index it goes to. */
  readonly startTimeMs: number;
}

/**
 * The text of `{ ...encodeSpanDocument(span), graph }` (graph left out when undefined), given the
 * span's content hash (document.ts computes it, as it is part of the id too).
 */
export function spanDocumentJson(span: SpanRecord, spanHash: string, graph?: object): SpanDocumentJson {
  const resource = resourceText(span.resource);
  const scope = scopeText(span.scope);
  const startMs = Number(span.startTimeUnixNano / 1_000_000n);
  const startUs = startTimeUs(span);
  const duration = durationUs(span);
  const statusName = STATUS_NAMES[span.status.code] ?? 'unset';
  const kindName = KIND_NAMES[span.kind] ?? 'unspecified';

  // tags: span, resource, scope, events, links — repeats dropped across all of them.
  const tags = new TermCollector();
  tags.addTags(span.attributes);
  tags.addList(resource.tags, resource.tagSet, resource.tagsJson);
  tags.addList(scope.tags, scope.tagSet, scope.tagsJson);

  // TraceQL terms and keys carry their scope, so only attributes of one scope can repeat each other.
  const spanTerms = scopedTerms(span.attributes, SPAN);
  let eventTerms: ScopedCollector | undefined;
  let linkTerms: ScopedCollector | undefined;
  const events: string[] = [];
  for (let i = 0; i < span.events.length; i++) {
    const e = span.events[i]!;
    tags.addTags(e.attributes);
    eventTerms = scopedTerms(e.attributes, EVENT, eventTerms);
    events.push(i === 0 ? '{"timeUnixNano":"' : ',{"timeUnixNano":"', e.timeUnixNano.toString(), '","name":', JSON.stringify(e.name), ',"attributes":');
    pushAttributes(events, e.attributes);
    events.push(',"droppedAttributesCount":', String(e.droppedAttributesCount), '}');
  }
  const links: string[] = [];
  for (let i = 0; i < span.links.length; i++) {
    const l = span.links[i]!;
    tags.addTags(l.attributes);
    linkTerms = scopedTerms(l.attributes, LINK, linkTerms);
    links.push(i === 0 ? '{"traceId":' : ',{"traceId":', JSON.stringify(l.traceId), ',"spanId":', JSON.stringify(l.spanId), ',"traceState":', JSON.stringify(l.traceState), ',"attributes":');
    pushAttributes(links, l.attributes);
    links.push(',"droppedAttributesCount":', String(l.droppedAttributesCount), ',"flags":', String(l.flags), '}');
  }

  const intrinsics = new TermCollector();
  intrinsicTerm(intrinsics, 'name', span.name);
  intrinsicTerm(intrinsics, 'status', statusName);
  intrinsicTerm(intrinsics, 'kind', kindName);
  const durationTerm = `${typedPrefix('intrinsic', 'duration', 'i')}${sortableNumber(spanDurationNanos(span))}`;
  intrinsics.add(durationTerm, `"${durationTerm}"`);
  if (span.status.message !== '') intrinsicTerm(intrinsics, 'statusMessage', span.status.message);
  for (const e of span.events) intrinsicTerm(intrinsics, 'eventName', e.name);

  const terms = [...spanTerms.terms.parts];
  const keys = [...spanTerms.keys.parts];
  for (const list of [resource, scope]) {
    if (list.termsJson !== '') terms.push(list.termsJson);
    if (list.keysJson !== '') keys.push(list.keysJson);
  }
  for (const c of [eventTerms, linkTerms]) {
    if (c === undefined) continue;
    terms.push(...c.terms.parts);
    keys.push(...c.keys.parts);
  }
  terms.push(...intrinsics.parts);

  const out: string[] = [
    '{"traceId":', JSON.stringify(span.traceId), ',"spanId":', JSON.stringify(span.spanId), ',"parentSpanId":', JSON.stringify(span.parentSpanId),
    ',"name":', JSON.stringify(span.name), ',"kind":"', kindName, '","serviceName":', JSON.stringify(span.serviceName), ',', resource.tenantJson,
    '"startTime":', String(startMs), ',"startTimeUs":', String(startUs), ',"durationUs":', String(duration), ',"endTimeUs":', String(startUs + duration),
    ',"statusCode":"', statusName, '","spanHash":"', spanHash, '","tags":',
  ];
  pushList(out, tags.parts);
  out.push(',"traceqlTerms":');
  pushList(out, terms);
  out.push(',"traceqlKeys":');
  pushList(out, keys);
  out.push(
    ',"span":{"traceState":', JSON.stringify(span.traceState), ',"flags":', String(span.flags),
    ',"startTimeUnixNano":"', span.startTimeUnixNano.toString(), '","endTimeUnixNano":"', span.endTimeUnixNano.toString(), '","attributes":',
  );
  pushAttributes(out, span.attributes);
  out.push(',"droppedAttributesCount":', String(span.droppedAttributesCount), ',"events":[');
  for (const piece of events) out.push(piece);
  out.push('],"droppedEventsCount":', String(span.droppedEventsCount), ',"links":[');
  for (const piece of links) out.push(piece);
  out.push(
    '],"droppedLinksCount":', String(span.droppedLinksCount),
    ',"status":{"code":', String(span.status.code), ',"message":', JSON.stringify(span.status.message), '}',
    ',"resource":', resource.storedJson, ',"scope":', scope.storedJson, '}',
    graph === undefined ? '}' : `,"graph":${JSON.stringify(graph)}}`,
  );
  return { json: out.join(''), startTimeMs: startMs };
}

interface ScopedCollector {
  readonly terms: TermCollector;
  readonly keys: TermCollector;
}

function scopedTerms(kvs: readonly KeyValue[], scope: number, into?: ScopedCollector): ScopedCollector {
  const c = into ?? { terms: new TermCollector(), keys: new TermCollector() };
  for (const kv of kvs) {
    const s = textOf(kv).terms(scope);
    c.terms.add(s.term, s.termJson);
    c.keys.add(s.key, s.keyJson);
  }
  return c;
}

function intrinsicTerm(into: TermCollector, key: string, value: string): void {
  const term = typedPrefix('intrinsic', key, 's') + value;
  into.add(term, term.length <= TAG_TERM_MAX_CHARS ? JSON.stringify(term) : '');
}

