/**
 * Endpoint addresses in one textual form whatever the wire carried: JSON gives text, protobuf
 * gives 4 or 16 bytes. IPv6 is written in RFC 5952 form (lower case, longest zero run as `::`),
 * as Go's net.IP prints it in the Collector, so the same address always yields the same
 * attribute value and searches match.
 */
import { SocketAddress, isIPv4, isIPv6 } from 'node:net';
import { DecodeProblem } from '../wire/decode-errors.js';

/** Validated dotted-quad text. */
export function ipv4OfText(text: string): string {
  if (!isIPv4(text)) throw new DecodeProblem(`must be an IPv4 address, got ${JSON.stringify(text.slice(0, 60))}`);
  return text;
}

/** Validated IPv6 text, normalized. */
export function ipv6OfText(text: string): string {
  // Zone ids ("fe80::1%eth0") are a local-interface detail no peer can use; Node accepts them.
  if (!isIPv6(text) || text.includes('%')) {
    throw new DecodeProblem(`must be an IPv6 address, got ${JSON.stringify(text.slice(0, 60))}`);
  }
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

export function ipv4OfBytes(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new DecodeProblem(`must be 4 bytes, got ${bytes.length}`);
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

export function ipv6OfBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new DecodeProblem(`must be 16 bytes, got ${bytes.length}`);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
