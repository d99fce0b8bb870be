/**
 * A listener's TLS material (certificate chain, private key, and for mTLS the CA that signs
 * client certificates), read from files and re-read when they change. Every transport takes it
 * the same way: HTTPS servers through setSecureContext, gRPC through its credentials' watchers.
 * A replacement that does not load (a key written before its certificate, a truncated file) is
 * logged and the previous material stays in use, so a half-finished rotation never takes a
 * listener down.
 */
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '../telemetry/logger.js';
import { SecurityConfigError, readSettingFile } from './errors.js';
import { DEFAULT_RELOAD_INTERVAL_MS, WatchedFiles } from './watched-files.js';

export interface ServerTlsFiles {
  /** PEM certificate chain presented to clients. */
  readonly certFile: string;
  /** PEM private key of that certificate. */
  readonly keyFile: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  readonly clientCaFile?: string;
}

export interface ServerTlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** Reads and checks the files: throws SecurityConfigError naming the file that does not work. */
export function readServerTlsMaterial(files: ServerTlsFiles, label = 'TLS'): ServerTlsMaterial {
  const cert = readSettingFile(files.certFile, `${label} certificate`);
  const key = readSettingFile(files.keyFile, `${label} key`);
  const ca = files.clientCaFile ? readSettingFile(files.clientCaFile, `${label} client CA`) : undefined;
  const material = { cert, key, ca };
  try {
    createSecureContext(contextOptions(material));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SecurityConfigError(
      `${label}: ${files.certFile} and ${files.keyFile}${ca ? ` with client CA ${files.clientCaFile}` : ''} do not load: ${reason}`,
    );
  }
  return material;
}

export function contextOptions(m: ServerTlsMaterial): SecureContextOptions {
  return { cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}) };
}

export type TlsChangeListener = (material: ServerTlsMaterial) => void;

export class ServerTls {
  readonly files: ServerTlsFiles;
  readonly #logger: Logger;
  readonly #watch: WatchedFiles;
  readonly #listeners = new Set<TlsChangeListener>();
  #material: ServerTlsMaterial;
  readonly #label: string;

  /** Reads the files now (throws SecurityConfigError when they do not work). */
  constructor(files: ServerTlsFiles, opts: { logger: Logger; label?: string; reloadIntervalMs?: number }) {
    this.files = files;
    this.#logger = opts.logger;
    this.#label = opts.label ?? 'TLS';
    this.#material = readServerTlsMaterial(files, this.#label);
    const paths = [files.certFile, files.keyFile, ...(files.clientCaFile ? [files.clientCaFile] : [])];
    this.#watch = new WatchedFiles(paths, () => this.reload(), opts.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS);
  }

  /** True when clients must present a certificate signed by the client CA. */
  get requiresClientCertificate(): boolean {
    return this.files.clientCaFile !== undefined;
  }

  get material(): ServerTlsMaterial {
    return this.#material;
  }

  /**
   * Calls `listener` with every new material after a successful reload, watching the files while
   * at least one listener is subscribed. Returns the unsubscribe function.
   */
  subscribe(listener: TlsChangeListener): () => void {
    this.#listeners.add(listener);
    const release = this.#watch.hold();
    return () => {
      this.#listeners.delete(listener);
      release();
    };
  }

  /** Re-reads the files; keeps the previous material when the new one does not load. */
  reload(): void {
    let next: ServerTlsMaterial;
    try {
      next = readServerTlsMaterial(this.files, this.#label);
    } catch (err) {
      this.#logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'TLS files changed but do not load; keeping the previous certificate');
      return;
    }
    const cur = this.#material;
    if (cur.cert.equals(next.cert) && cur.key.equals(next.key) && (cur.ca?.equals(next.ca ?? Buffer.alloc(0)) ?? next.ca === undefined)) return;
    this.#material = next;
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (err) {
        this.#logger.warn({ err }, 'a listener could not take the new TLS certificate');
      }
    }
    this.#logger.info({ certFile: this.files.certFile }, 'TLS certificate reloaded');
  }
}
