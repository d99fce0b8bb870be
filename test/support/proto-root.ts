/**
 * Loads meshtel's own .proto files (shared/proto) into one protobufjs Root, so every part that
 * needs reflection — the gRPC service definition, error details, tests that check our
 * hand-written codec against an independent decoder — uses the same definitions.
 *
 * Every .proto file under the directory is loaded, so adding a signal (logs, metrics) is adding
 * its files beside the trace ones. The directory is found relative to this module.
 * (Test-only: the runtime decodes and encodes by hand; protobufjs here is the independent decoder
 * the hand-written codecs are checked against.)
 * google/protobuf/* imports resolve to the well-known types bundled with protobufjs.
 */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const PROTO_DIR = fileURLToPath(new URL('../../shared/proto/', import.meta.url));

function listProtoFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listProtoFiles(path));
    else if (entry.name.endsWith('.proto')) found.push(relative(PROTO_DIR, path).split(sep).join('/'));
  }
  return found.sort();
}

/** Loads every .proto under `dir` (imports resolved against `dir`) into a new Root. */
export function loadProtoRoot(dir: string = PROTO_DIR): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to the proto directory (as protoc's -I would take them).
  root.resolvePath = (_origin: string, target: string) => (isAbsolute(target) ? target : join(dir, target));
  root.loadSync(listProtoFiles(dir), { keepCase: false });
  root.resolveAll();
  return root;
}

export const protoRoot: protobuf.Root = loadProtoRoot();

export const ExportTraceServiceRequest = protoRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = protoRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const TracesData = protoRoot.lookupType('opentelemetry.proto.trace.v1.TracesData');
export const TraceService = protoRoot.lookupService('opentelemetry.proto.collector.trace.v1.TraceService');
export const RpcStatus = protoRoot.lookupType('google.rpc.Status');
export const RetryInfo = protoRoot.lookupType('google.rpc.RetryInfo');
export const BadRequest = protoRoot.lookupType('google.rpc.BadRequest');
