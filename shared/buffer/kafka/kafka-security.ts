/**
 * TLS and SASL for the connections to Kafka (kafkajs `ssl` and `sasl`), from MESHTEL_KAFKA_TLS_*
 * and MESHTEL_KAFKA_SASL_*. Files are read once, when the buffer is built.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { MeshtelConfig } from '../../config/settings.js';

export type KafkaSecuritySettings = Pick<
  MeshtelConfig,
  'kafkaTlsEnabled' | 'kafkaTlsCaFile' | 'kafkaTlsCertFile' | 'kafkaTlsKeyFile' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword'
>;

export interface KafkaSecurityOptions {
  /** kafkajs `ssl`: true = TLS with the system CAs; options = TLS with this CA / client certificate. */
  readonly ssl?: true | ConnectionOptions;
  readonly sasl?: SASLOptions;
}

export function kafkaSecurityFromConfig(c: KafkaSecuritySettings): KafkaSecurityOptions {
  const tlsFiles: ConnectionOptions = {
    ...(c.kafkaTlsCaFile ? { ca: [readFileSync(c.kafkaTlsCaFile)] } : {}),
    ...(c.kafkaTlsCertFile ? { cert: readFileSync(c.kafkaTlsCertFile) } : {}),
    ...(c.kafkaTlsKeyFile ? { key: readFileSync(c.kafkaTlsKeyFile) } : {}),
  };
  const anyFile = Object.keys(tlsFiles).length > 0;
  const ssl = anyFile ? tlsFiles : c.kafkaTlsEnabled ? true : undefined;
  const credentials = { username: c.kafkaSaslUsername, password: c.kafkaSaslPassword };
  const sasl: SASLOptions | undefined =
    c.kafkaSaslMechanism === 'plain' ? { mechanism: 'plain', ...credentials }
    : c.kafkaSaslMechanism === 'scram-sha-256' ? { mechanism: 'scram-sha-256', ...credentials }
    : c.kafkaSaslMechanism === 'scram-sha-512' ? { mechanism: 'scram-sha-512', ...credentials }
    : undefined;
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
