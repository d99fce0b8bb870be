/**
 * Protobuf encoding of the OTLP messages every signal shares (common/v1 and resource/v1), from
 * meshtel's model. Default values are left out, as proto3 encoders do; decoding gives them back.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/span.js';
import { WireType } from '../../wire/wire-reader.js';
import type { ProtoWriter } from '../../wire/wire-writer.js';

export function writeAnyValue(w: ProtoWriter, v: AnyValue): void {
  switch (v.type) {
    case 'string':
      w.tag(1, WireType.LEN);
      w.string(v.value);
      return;
    case 'bool':
      w.tag(2, WireType.VARINT);
      w.uint32(v.value ? 1 : 0);
      return;
    case 'int':
      w.tag(3, WireType.VARINT);
      w.int64(v.value);
      return;
    case 'double':
      w.tag(4, WireType.I64);
      w.double(v.value);
      return;
    case 'array': {
      w.tag(5, WireType.LEN);
      const arrayMark = w.fork();
      for (const item of v.value) {
        w.tag(1, WireType.LEN);
        const mark = w.fork();
        writeAnyValue(w, item);
        w.join(mark);
      }
      w.join(arrayMark);
      return;
    }
    case 'kvlist': {
      w.tag(6, WireType.LEN);
      const listMark = w.fork();
      writeKeyValues(w, 1, v.value);
      w.join(listMark);
      return;
    }
    case 'bytes':
      w.tag(7, WireType.LEN);
      w.bytesField(v.value);
      return;
    case 'empty':
      return;
  }
}

/** Writes each KeyValue as field `field` (length-delimited). */
export function writeKeyValues(w: ProtoWriter, field: number, list: readonly KeyValue[]): void {
  const tag = (field << 3) | WireType.LEN;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    w.uint32(tag);
    const mark = w.fork();
    if (kv.key !== '') {
      w.tag(1, WireType.LEN);
      w.string(kv.key);
    }
    // Always present (possibly empty) so an empty value stays distinguishable when read by
    // decoders that keep "unset" apart from "empty".
    w.tag(2, WireType.LEN);
    const valueMark = w.fork();
    writeAnyValue(w, kv.value);
    w.join(valueMark);
    w.join(mark);
  }
}

/** Writes the Resource message body (the schema URL belongs to the enclosing Resource* message). */
export function writeResource(w: ProtoWriter, resource: Resource): void {
  writeKeyValues(w, 1, resource.attributes);
  if (resource.droppedAttributesCount !== 0) {
    w.tag(2, WireType.VARINT);
    w.uint32(resource.droppedAttributesCount);
  }
}

/** Writes the InstrumentationScope message body (its schema URL belongs to the Scope* message). */
export function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  if (scope.name !== '') {
    w.tag(1, WireType.LEN);
    w.string(scope.name);
  }
  if (scope.version !== '') {
    w.tag(2, WireType.LEN);
    w.string(scope.version);
  }
  writeKeyValues(w, 3, scope.attributes);
  if (scope.droppedAttributesCount !== 0) {
    w.tag(4, WireType.VARINT);
    w.uint32(scope.droppedAttributesCount);
  }
}
