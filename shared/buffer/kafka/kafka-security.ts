/**
 * TLS and SASL for the connections to Kafka (kafkajs `ssl` and `sasl`): the settings with their
 * defaults, and the client options they give. Files are read once, when the buffer is built.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';

export const kafkaSecuritySettings = z.object({
  /** TLS with the system CAs (implied by any of the files below). */
  tlsEnabled: z.boolean().default(false),
  /** PEM CA bundle the brokers' certificates are checked against; '' = the system CAs. */
  tlsCaFile: z.string().default(''),
  /** PEM client certificate and key, for brokers that require mTLS. */
  tlsCertFile: z.string().default(''),
  tlsKeyFile: z.string().default(''),
  saslMechanism: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'),
  saslUsername: z.string().default(''),
  saslPassword: z.string().default(''),
});

export type KafkaSecuritySettings = z.output<typeof kafkaSecuritySettings>;

export interface KafkaSecurityOptions {
  /** kafkajs `ssl`: true = TLS with the system CAs; options = TLS with this CA / client certificate. */
  readonly ssl?: true | ConnectionOptions;
  readonly sasl?: SASLOptions;
}

export function kafkaSecurityOptions(input: z.input<typeof kafkaSecuritySettings>): KafkaSecurityOptions {
  const c = kafkaSecuritySettings.parse(input);
  const tlsFiles: ConnectionOptions = {
    ...(c.tlsCaFile ? { ca: [readFileSync(c.tlsCaFile)] } : {}),
    ...(c.tlsCertFile ? { cert: readFileSync(c.tlsCertFile) } : {}),
    ...(c.tlsKeyFile ? { key: readFileSync(c.tlsKeyFile) } : {}),
  };
  const anyFile = Object.keys(tlsFiles).length > 0;
  const ssl = anyFile ? tlsFiles : c.tlsEnabled ? true : undefined;
  const credentials = { username: c.saslUsername, password: c.saslPassword };
  const sasl: SASLOptions | undefined =
    c.saslMechanism === 'plain' ? { mechanism: 'plain', ...credentials }
    : c.saslMechanism === 'scram-sha-256' ? { mechanism: 'scram-sha-256', ...credentials }
    : c.saslMechanism === 'scram-sha-512' ? { mechanism: 'scram-sha-512', ...credentials }
    : undefined;
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
