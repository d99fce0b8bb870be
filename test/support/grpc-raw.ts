/** Raw gRPC unary calls: bytes in, bytes out, so tests can send malformed requests. */
import type * as grpc from '@grpc/grpc-js';

export interface RawCallResult {
  readonly response?: Buffer;
  readonly error?: grpc.ServiceError;
}

/** One unary call to `path` with `body` as the message; resolves with the response bytes or the error. */
export function unaryRaw(client: grpc.Client, path: string, body: Uint8Array): Promise<RawCallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      (error: grpc.ServiceError | null, response?: Buffer) => resolve(error ? { error } : { response }),
    );
  });
}
