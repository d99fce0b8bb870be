/**
 * Static credentials of one listener group, read from files and re-read when they change:
 * bearer tokens (one a line) and htpasswd-style basic-auth users (`user:bcrypt-hash` a line).
 * Blank lines and lines starting with `#` are skipped in both.
 *
 * verify() answers only yes or no; nothing says whether a user, a password or a token was wrong.
 * Tokens are compared as SHA-256 digests, so the lookup's timing tells nothing about a valid
 * token; an unknown basic-auth user still costs one bcrypt comparison, so its timing tells
 * nothing about which users exist. A successful basic-auth check is remembered (by a digest of
 * the header) because OTLP exporters send the same header on every request and bcrypt is
 * deliberately slow; failures are never remembered and always pay the full cost.
 */
import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import type { Logger } from '../telemetry/logger.js';
import { SecurityConfigError, readSettingFile } from './errors.js';
import { DEFAULT_RELOAD_INTERVAL_MS, WatchedFiles } from './watched-files.js';

export interface CredentialFiles {
  /** One bearer token a line. */
  readonly tokensFile?: string;
  /** One `user:bcrypt-hash` a line (htpasswd -B format). */
  readonly basicFile?: string;
}

interface CredentialSet {
  readonly tokenDigests: ReadonlySet<string>;
  readonly basicUsers: ReadonlyMap<string, string>;
}

/** bcrypt's modular-crypt form: $2a$ / $2b$ / $2y$, two-digit cost, 53 characters of salt+hash. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
/** Compared against when the user is unknown, so that path costs what a wrong password costs. */
const DUMMY_HASH = '$2b$10$YHnmJFOXQVfVZy4i/GlumOakq5fFTPz1dRJaze7QvlcJ89l8I0DKe';
const VERIFIED_CACHE_MAX = 1024;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function contentLines(text: string): Array<{ line: string; number: number }> {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
}

/** Parses the files; throws SecurityConfigError naming the file and line (never its content). */
export function readCredentialFiles(files: CredentialFiles, label = 'auth'): CredentialSet {
  const tokenDigests = new Set<string>();
  const basicUsers = new Map<string, string>();
  if (files.tokensFile) {
    const lines = contentLines(readSettingFile(files.tokensFile, `${label} tokens file`).toString('utf8'));
    for (const { line, number } of lines) {
      if (/\s/.test(line)) throw new SecurityConfigError(`${label} tokens file ${files.tokensFile} line ${number}: a token may not contain spaces`);
      tokenDigests.add(sha256(line));
    }
    if (tokenDigests.size === 0) throw new SecurityConfigError(`${label} tokens file ${files.tokensFile} holds no token`);
  }
  if (files.basicFile) {
    const lines = contentLines(readSettingFile(files.basicFile, `${label} basic-auth file`).toString('utf8'));
    for (const { line, number } of lines) {
      const colon = line.indexOf(':');
      const user = colon > 0 ? line.slice(0, colon) : '';
      const hash = colon > 0 ? line.slice(colon + 1) : '';
      if (user === '' || !BCRYPT_HASH.test(hash)) {
        throw new SecurityConfigError(`${label} basic-auth file ${files.basicFile} line ${number}: expected user:bcrypt-hash (htpasswd -B)`);
      }
      basicUsers.set(user, hash);
    }
    if (basicUsers.size === 0) throw new SecurityConfigError(`${label} basic-auth file ${files.basicFile} holds no user`);
  }
  return { tokenDigests, basicUsers };
}

export class Credentials {
  readonly files: CredentialFiles;
  readonly #logger: Logger;
  readonly #label: string;
  readonly #watch: WatchedFiles;
  #set: CredentialSet;
  #verified = new Set<string>();

  /** Reads the files now (throws SecurityConfigError when they do not work). */
  constructor(files: CredentialFiles, opts: { logger: Logger; label?: string; reloadIntervalMs?: number }) {
    this.files = files;
    this.#logger = opts.logger;
    this.#label = opts.label ?? 'auth';
    this.#set = readCredentialFiles(files, this.#label);
    const paths = [files.tokensFile, files.basicFile].filter((p): p is string => Boolean(p));
    this.#watch = new WatchedFiles(paths, () => this.reload(), opts.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS);
  }

  /** Which schemes a client may use, for WWW-Authenticate. */
  get schemes(): Array<'Bearer' | 'Basic'> {
    return [...(this.files.tokensFile ? (['Bearer'] as const) : []), ...(this.files.basicFile ? (['Basic'] as const) : [])];
  }

  /** Watches the files for changes until the returned function is called. */
  watch(): () => void {
    return this.#watch.hold();
  }

  reload(): void {
    try {
      this.#set = readCredentialFiles(this.files, this.#label);
      this.#verified = new Set();
      this.#logger.info('credential files reloaded');
    } catch (err) {
      this.#logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'credential files changed but do not load; keeping the previous ones');
    }
  }

  /** True when the Authorization header value carries a valid token or user and password. */
  async verify(authorization: string | undefined): Promise<boolean> {
    if (!authorization) return false;
    const space = authorization.indexOf(' ');
    if (space <= 0) return false;
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    const set = this.#set;
    if (scheme === 'bearer') return set.tokenDigests.has(sha256(value));
    if (scheme !== 'basic' || set.basicUsers.size === 0) return false;

    const digest = sha256(value);
    if (this.#verified.has(digest)) return true;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const hash = set.basicUsers.get(decoded.slice(0, colon));
    const ok = await bcrypt.compare(decoded.slice(colon + 1), hash ?? DUMMY_HASH);
    if (!ok || hash === undefined) return false;
    // Only if the set was not reloaded while comparing, so a removed user is not remembered.
    if (set === this.#set) {
      if (this.#verified.size >= VERIFIED_CACHE_MAX) this.#verified.clear();
      this.#verified.add(digest);
    }
    return true;
  }
}
