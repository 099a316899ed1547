import type { FastifyInstance } from 'fastify';

export interface ListenAddress {
  /** '' means every address. */
  host: string;
  port: number;
}

/**
 * Listens on the address asked for. An empty host means every address: IPv6 "::" (which takes IPv4
 * too), or 0.0.0.0 on hosts where IPv6 is disabled and "::" cannot be bound. Resolves to the address
 * bound, as "HOST:PORT" or "[IPv6]:PORT" (the form --web.listen-address takes).
 */
export async function listen(app: FastifyInstance, addr: ListenAddress): Promise<string> {
  if (addr.host !== '') {
    await app.listen({ host: addr.host, port: addr.port });
  } else {
    try {
      await app.listen({ host: '::', port: addr.port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
      await app.listen({ host: '0.0.0.0', port: addr.port });
    }
  }
  const bound = app.server.address();
  if (typeof bound !== 'object' || bound === null) return String(bound);
  return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
}

/** Why listening failed, in the words an operator looks for. */
export function listenFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
}

/** Resolves with the name of the first of SIGTERM / SIGINT: the signals a service manager stops us with. */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => (): void => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
      resolve(signal);
    };
    const term = on('SIGTERM');
    const int = on('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
  });
}
