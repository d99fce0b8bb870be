import { readFileSync } from 'node:fs';

/** A listener or client security setting that cannot work (unreadable file, key without cert...). */
export class SecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityConfigError';
  }
}

/** Reads a file named by a setting, saying which setting (never the content) when it cannot. */
export function readSettingFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new SecurityConfigError(`${what}: cannot read ${path} (${code})`);
  }
}
