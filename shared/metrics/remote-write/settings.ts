/**
 * Remote-write's settings as an operator writes them (text where the sink wants structure: label
 * lists, the instance label, credentials), with their defaults. remoteWriteSinkOptions() (config.ts)
 * turns them into RemoteWriteSinkOptions; the sink applies the same defaults to options left out.
 */
import { z } from 'zod';
import { parseLabelList } from '../labels.js';

const positiveInt = z.number().int().min(1);

/** `name=value,name=value`; parsed when validated, so a malformed list fails start-up naming its setting. */
const labelListText = z.string().superRefine((text, ctx) => {
  try {
    parseLabelList(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

export const remoteWriteSettings = z.object({
  /** Receiver endpoint; empty = remote-write off. */
  // Credentials in the URL would be sent by no fetch and logged with the URL: refused, naming the
  // settings meant for them.
  url: z
    .union([z.literal(''), z.url({ protocol: /^https?$/ })])
    .refine(
      (url) => url === '' || !/^[a-z]+:\/\/[^/?#]*@/i.test(url),
      'credentials in the URL are not accepted; set MESHTEL_REMOTE_WRITE_USERNAME and MESHTEL_REMOTE_WRITE_PASSWORD (or MESHTEL_REMOTE_WRITE_BEARER_TOKEN) instead',
    )
    .default(''),
  /** Snapshot period; also the longest a sample waits before its first send attempt. */
  flushIntervalMs: positiveInt.default(10_000),
  /** Samples per request (Prometheus's own max_samples_per_send). */
  maxSamplesPerSend: positiveInt.default(2000),
  /** Queue bound; beyond it the oldest samples are dropped and counted. */
  queueMaxSamples: positiveInt.default(100_000),
  /** Per request. */
  timeoutMs: positiveInt.default(10_000),
  externalLabels: labelListText.default(''),
  /** `auto` = `<hostname>-<pid>`, `none` = no instance label, anything else is the value itself. */
  instanceLabel: z.string().regex(/^[^\s]*$/, 'no whitespace').default('auto'),
  /** Basic auth when non-empty. */
  username: z.string().default(''),
  password: z.string().default(''),
  /** Bearer token when non-empty and no basic-auth user name is set. */
  bearerToken: z.string().default(''),
  /** PEM CA bundle the endpoint's certificate is checked against (https:// URLs); '' = the system CAs. */
  tlsCaFile: z.string().default(''),
});

export type RemoteWriteSettings = z.output<typeof remoteWriteSettings>;

export const REMOTE_WRITE_DEFAULTS: RemoteWriteSettings = remoteWriteSettings.parse({});
