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

/**
 * Why listening failed, in the words an operator looks for; `badAddress` when the address itself is
 * wrong (a name that does not resolve, an address not on this host), which is the flag's fault.
 */
export function listenFailure(err: unknown): { message: string; badAddress: boolean } {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EADDRINUSE':
      return { message: 'address already in use', badAddress: false };
    case 'EACCES':
      return { message: 'permission denied', badAddress: false };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { message: 'the host name does not resolve', badAddress: true };
    case 'EADDRNOTAVAIL':
      return { message: 'no interface of this host has that address', badAddress: true };
    default:
      return { message: e.message, badAddress: false };
  }
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
