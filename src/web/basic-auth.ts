/**
 * HTTP basic auth against the bcrypt hashes of basic_auth_users, as exporter-toolkit does it:
 * - an unknown user is compared against a real hash all the same (the costliest configured one), so a
 *   wrong user and a wrong password take the same time and user names cannot be found by timing;
 * - the outcome of each (user, password) is cached (100 entries), so Prometheus, which sends the same
 *   credentials every scrape, pays bcrypt once per start or config change, not per scrape;
 * - the cache is keyed by a SHA-256 of the pair, length-prefixed, so no pair can pose as another
 *   (CVE-2022-46146 was such a key) and no password is kept in memory as text;
 * - comparisons run in a worker thread (password-worker.ts); identical ones in flight are shared, and
 *   past `maxPending` distinct ones waiting the answer is "busy" (503) rather than an ever longer queue.
 */
import { createHash } from 'node:crypto';
import type { PasswordChecker } from './password-worker.js';

export interface Credentials {
  user: string;
  password: string;
}

/** The user and password of an `Authorization: Basic ...` header, or undefined when it has none or is malformed. */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const m = /^basic +([A-Za-z0-9+/]*={0,2}) *$/i.exec(header);
  if (m === null) return undefined;
  const token = m[1] ?? '';
  if (token.length % 4 !== 0) return undefined;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export type AuthOutcome = 'ok' | 'denied' | 'busy';

export interface BasicAuth {
  /** Whether the Authorization header holds a pair of `users`. Answers from the cache at once when it can. */
  check(users: ReadonlyMap<string, string>, header: string | undefined): AuthOutcome | Promise<AuthOutcome>;
}

const cost = (hash: string): number => Number(/^\$2[aby]?\$(\d\d)\$/.exec(hash)?.[1] ?? 0);

export function createBasicAuth({ checker, cacheSize = 100, maxPending = 32 }: { checker: PasswordChecker; cacheSize?: number; maxPending?: number }): BasicAuth {
  // Per users map: a reloaded config (new hashes, removed users) starts with an empty cache.
  let cachedFor: ReadonlyMap<string, string> | undefined;
  let decoy = '';
  const cache = new Map<string, boolean>();
  const inFlight = new Map<string, Promise<AuthOutcome>>();

  const keyOf = ({ user, password }: Credentials): string =>
    createHash('sha256')
      .update(`${Buffer.byteLength(user)}:${user}:${password}`)
      .digest('base64');

  const remember = (key: string, ok: boolean): void => {
    if (cache.size >= cacheSize) {
      // The oldest first: Map keeps insertion order.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, ok);
  };

  return {
    check(users, header) {
      if (users !== cachedFor) {
        cachedFor = users;
        cache.clear();
        inFlight.clear();
        decoy = [...users.values()].reduce((a, b) => (cost(b) > cost(a) ? b : a), '');
      }
      const creds = parseBasicAuthorization(header);
      if (creds === undefined) return 'denied';
      const key = keyOf(creds);
      const known = cache.get(key);
      if (known !== undefined) return known ? 'ok' : 'denied';
      const shared = inFlight.get(key);
      if (shared !== undefined) return shared;
      if (checker.pending() >= maxPending) return 'busy';

      const hash = users.get(creds.user);
      const forUsers = users;
      const p = checker.check(creds.password, hash ?? decoy).then(
        (match) => {
          const ok = match && hash !== undefined;
          if (cachedFor === forUsers) {
            remember(key, ok);
            inFlight.delete(key);
          }
          return ok ? ('ok' as const) : ('denied' as const);
        },
        () => {
          // The worker died: not an answer about these credentials, so nothing is cached.
          if (cachedFor === forUsers) inFlight.delete(key);
          return 'busy' as const;
        },
      );
      inFlight.set(key, p);
      return p;
    },
  };
}
