import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, listenFailure } from '../../src/web/listen.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function app(): FastifyInstance {
  const a = Fastify({ logger: false });
  a.get('/', async () => 'ok');
  apps.push(a);
  return a;
}

describe('listen', () => {
  it('reports an IPv4 address as HOST:PORT', async () => {
    const bound = await listen(app(), { host: '127.0.0.1', port: 0 });
    expect(bound).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('reports an IPv6 address in brackets, as --web.listen-address takes it', async () => {
    const a = app();
    let bound: string;
    try {
      bound = await listen(a, { host: '::1', port: 0 });
    } catch (err) {
      // A host without IPv6 cannot bind ::1; nothing to check there.
      if (['EADDRNOTAVAIL', 'EAFNOSUPPORT'].includes((err as NodeJS.ErrnoException).code ?? '')) return;
      throw err;
    }
    expect(bound).toMatch(/^\[::1\]:\d+$/);
  });

  it('listens on every address for an empty host, and answers on loopback', async () => {
    const a = app();
    const bound = await listen(a, { host: '', port: 0 });
    const port = Number(/:(\d+)$/.exec(bound)?.[1]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  });

  it('says why a port cannot be had in the words an operator looks for', async () => {
    const first = await listen(app(), { host: '127.0.0.1', port: 0 });
    const port = Number(/:(\d+)$/.exec(first)?.[1]);
    const err = await listen(app(), { host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(listenFailure(err)).toEqual({ message: 'address already in use', badAddress: false });
  });
});
