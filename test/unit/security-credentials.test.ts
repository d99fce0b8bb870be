/** Bearer tokens and htpasswd users: what verify() accepts, and files replaced while running. */
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Credentials } from '../../shared/security/credentials.js';
import { TestPki } from '../support/certs.js';
import { basicAuth } from '../support/https-client.js';

const logger = pino({ level: 'silent' });
const pki = new TestPki();
afterAll(() => pki.cleanup());

describe('credentials', () => {
  const tokensFile = pki.file('tokens', '# one a line\ntoken-one\n  token-two  \n');
  const basicFile = pki.file('htpasswd', `alice:${bcrypt.hashSync('wonderland', 4)}\nbob:${bcrypt.hashSync('builder', 4)}\n`);
  const credentials = new Credentials({ tokensFile, basicFile }, { logger });

  it('accepts each listed token (scheme in any case) and nothing else', async () => {
    expect(await credentials.verify('Bearer token-one')).toBe(true);
    expect(await credentials.verify('bearer token-two')).toBe(true);
    for (const bad of [undefined, '', 'Bearer', 'Bearer token', 'Bearer token-one-more', 'Token token-one', 'token-one', '# one a line']) {
      expect(await credentials.verify(bad)).toBe(false);
    }
  });

  it('accepts users with their own password only', async () => {
    expect(await credentials.verify(basicAuth('alice', 'wonderland'))).toBe(true);
    expect(await credentials.verify(basicAuth('bob', 'builder'))).toBe(true);
    expect(await credentials.verify(basicAuth('alice', 'builder'))).toBe(false);
    expect(await credentials.verify(basicAuth('carol', 'wonderland'))).toBe(false);
    expect(await credentials.verify('Basic bm8tY29sb24=')).toBe(false);
    // Remembered successes never make a wrong password pass.
    expect(await credentials.verify(basicAuth('alice', 'wonderland'))).toBe(true);
    expect(await credentials.verify(basicAuth('alice', 'wonderlan'))).toBe(false);
  });

  it('offers the schemes its files allow', () => {
    expect(credentials.schemes).toEqual(['Bearer', 'Basic']);
    expect(new Credentials({ tokensFile }, { logger }).schemes).toEqual(['Bearer']);
  });

  it('takes a replaced tokens file while watching, and forgets removed users', async () => {
    const file = pki.file('rotating-tokens', 'old-token\n');
    const htpasswd = pki.file('rotating-htpasswd', `alice:${bcrypt.hashSync('pw', 4)}\n`);
    const live = new Credentials({ tokensFile: file, basicFile: htpasswd }, { logger, reloadIntervalMs: 50 });
    const release = live.watch();
    try {
      expect(await live.verify(basicAuth('alice', 'pw'))).toBe(true);
      pki.file('rotating-tokens', 'new-token\n');
      pki.file('rotating-htpasswd', `bob:${bcrypt.hashSync('pw', 4)}\n`);
      const deadline = Date.now() + 30_000;
      while (!(await live.verify('Bearer new-token')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      live.reload(); // both files surely read by now
      expect(await live.verify('Bearer new-token')).toBe(true);
      expect(await live.verify('Bearer old-token')).toBe(false);
      expect(await live.verify(basicAuth('alice', 'pw'))).toBe(false);
      expect(await live.verify(basicAuth('bob', 'pw'))).toBe(true);
    } finally {
      release();
    }
  });

  it('keeps the previous credentials when a replaced file does not parse', async () => {
    const file = pki.file('broken-later', 'kept-token\n');
    const live = new Credentials({ tokensFile: file }, { logger });
    pki.file('broken-later', '');
    live.reload();
    expect(await live.verify('Bearer kept-token')).toBe(true);
  });
});
