import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createBasicAuth, parseBasicAuthorization } from '../../src/web/basic-auth.js';
import { createPasswordChecker, type PasswordChecker } from '../../src/web/password-worker.js';
import { parseWebConfig } from '../../src/web/web-config.js';

const USERS_FILE = fileURLToPath(new URL('../fixtures/web-config/toolkit-users.yml', import.meta.url));
/** exporter-toolkit's test users: $2y$ hashes written by htpasswd (alice123; "fakepassword"). */
const TOOLKIT_USERS = parseWebConfig(readFileSync(USERS_FILE, 'utf8'), USERS_FILE).users;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const checkers: PasswordChecker[] = [];
afterEach(async () => {
  for (const c of checkers.splice(0)) await c.close();
});

/** The real worker-thread checker, recording what it was asked to compare. */
function recordingChecker(): PasswordChecker & { asked: { password: string; hash: string }[] } {
  const real = createPasswordChecker();
  checkers.push(real);
  const asked: { password: string; hash: string }[] = [];
  return {
    ...real,
    asked,
    check(password, hash) {
      asked.push({ password, hash });
      return real.check(password, hash);
    },
  };
}

describe('parseBasicAuthorization', () => {
  it('reads user and password; the password may hold colons; the scheme is case-insensitive', () => {
    expect(parseBasicAuthorization(basic('prometheus', 'a:b:c'))).toEqual({ user: 'prometheus', password: 'a:b:c' });
    expect(parseBasicAuthorization(`bAsIc ${Buffer.from('u:').toString('base64')}`)).toEqual({ user: 'u', password: '' });
    expect(parseBasicAuthorization(basic('ünï', 'pässwörd'))).toEqual({ user: 'ünï', password: 'pässwörd' });
  });

  it('refuses other schemes, bad base64 and a token without a colon', () => {
    for (const h of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!!', 'Basic YWJj', `Basic ${Buffer.from('nocolon').toString('base64')}`, 'Basic YWJjZA=']) {
      expect(parseBasicAuthorization(h), String(h)).toBeUndefined();
    }
  });
});

describe('createBasicAuth', () => {
  it('accepts $2y$ hashes as htpasswd writes them, and $2a$/$2b$ ones', async () => {
    const auth = createBasicAuth({ checker: recordingChecker() });
    expect(await auth.check(TOOLKIT_USERS, basic('fake', 'fakepassword'))).toBe('ok');
    expect(await auth.check(TOOLKIT_USERS, basic('alice', 'alice123'))).toBe('ok');
    expect(await auth.check(TOOLKIT_USERS, basic('alice', 'alice1234'))).toBe('denied');
    const b = bcrypt.hashSync('s3cret', 4);
    const a = b.replace(/^\$2b\$/, '$2a$');
    expect(b.startsWith('$2b$04$')).toBe(true);
    const users = new Map([
      ['b', b],
      ['a', a],
    ]);
    expect(await auth.check(users, basic('b', 's3cret'))).toBe('ok');
    expect(await auth.check(users, basic('a', 's3cret'))).toBe('ok');
    expect(await auth.check(users, basic('a', 'S3cret'))).toBe('denied');
  });

  it('compares an unknown user against a configured hash of the highest cost, so it costs what a wrong password does', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker });
    expect(await auth.check(TOOLKIT_USERS, basic('mallory', 'fakepassword'))).toBe('denied');
    expect(checker.asked).toEqual([{ password: 'fakepassword', hash: TOOLKIT_USERS.get('alice') }]);
    // Even the password that matches the decoy hash is no way in for an unknown user.
    expect(await auth.check(TOOLKIT_USERS, basic('mallory', 'alice123'))).toBe('denied');
    expect(checker.asked).toHaveLength(2);
  });

  it('pays bcrypt once per pair: later checks, right or wrong, come from the cache', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker });
    expect(await auth.check(TOOLKIT_USERS, basic('fake', 'fakepassword'))).toBe('ok');
    expect(await auth.check(TOOLKIT_USERS, basic('fake', 'nope'))).toBe('denied');
    expect(checker.asked).toHaveLength(2);
    // Synchronous answers from the cache: nothing waits on the worker.
    expect(auth.check(TOOLKIT_USERS, basic('fake', 'fakepassword'))).toBe('ok');
    expect(auth.check(TOOLKIT_USERS, basic('fake', 'nope'))).toBe('denied');
    expect(checker.asked).toHaveLength(2);
  });

  it('shares one comparison among identical checks in flight', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker });
    const all = await Promise.all(Array.from({ length: 20 }, async () => auth.check(TOOLKIT_USERS, basic('fake', 'fakepassword'))));
    expect(new Set(all)).toEqual(new Set(['ok']));
    expect(checker.asked).toHaveLength(1);
  });

  it('cannot be poisoned by a user name that holds a hash (CVE-2022-46146)', async () => {
    const auth = createBasicAuth({ checker: recordingChecker() });
    const hash = TOOLKIT_USERS.get('fake') ?? '';
    expect(await auth.check(TOOLKIT_USERS, basic(`fake${hash}`, 'fakepassword'))).toBe('denied');
    expect(await auth.check(TOOLKIT_USERS, basic('fake', `${hash}fakepassword`))).toBe('denied');
  });

  it('forgets what it knew when the users change (a reloaded config)', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker });
    expect(await auth.check(TOOLKIT_USERS, basic('fake', 'fakepassword'))).toBe('ok');
    const changed = new Map([['fake', bcrypt.hashSync('rotated', 4)]]);
    expect(await auth.check(changed, basic('fake', 'fakepassword'))).toBe('denied');
    expect(await auth.check(changed, basic('fake', 'rotated'))).toBe('ok');
    expect(checker.asked).toHaveLength(3);
  });

  it('answers "busy" past maxPending distinct comparisons waiting, instead of queueing without end', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker, maxPending: 2 });
    const users = new Map([['u', bcrypt.hashSync('x', 4)]]);
    const first = [Promise.resolve(auth.check(users, basic('u', 'a'))), Promise.resolve(auth.check(users, basic('u', 'b')))];
    expect(auth.check(users, basic('u', 'c'))).toBe('busy');
    expect(await Promise.all(first)).toEqual(['denied', 'denied']);
    expect(await auth.check(users, basic('u', 'x'))).toBe('ok');
  });

  it('denies a missing or malformed header without comparing anything', async () => {
    const checker = recordingChecker();
    const auth = createBasicAuth({ checker });
    expect(auth.check(TOOLKIT_USERS, undefined)).toBe('denied');
    expect(auth.check(TOOLKIT_USERS, 'Bearer x')).toBe('denied');
    expect(checker.asked).toHaveLength(0);
  });
});

describe('createPasswordChecker', () => {
  it('runs bcrypt in a worker thread it stops when idle and starts again when needed', async () => {
    const checker = createPasswordChecker({ idleMs: 20 });
    checkers.push(checker);
    expect(checker.running()).toBe(false);
    const hash = bcrypt.hashSync('pw', 4);
    expect(await checker.check('pw', hash)).toBe(true);
    expect(checker.running()).toBe(true);
    const deadline = Date.now() + 10_000;
    while (checker.running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(checker.running()).toBe(false);
    expect(await checker.check('wrong', hash)).toBe(false);
    // A malformed hash is a "no", not a crash of the worker.
    expect(await checker.check('pw', '$2y$10$short')).toBe(false);
    expect(checker.pending()).toBe(0);
  });

  it('rejects what is pending when closed', async () => {
    const checker = createPasswordChecker();
    const p = checker.check('pw', '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby');
    const refused = expect(p).rejects.toThrow(/closed/);
    await checker.close();
    await refused;
  });
});
