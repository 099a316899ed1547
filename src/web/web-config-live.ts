/**
 * The web config in force, re-read when the file or a certificate, key or CA file it names changes
 * (certificate rotation without a restart). refresh() looks at the files' identity and times (one stat
 * each); it is called at each new connection, before its handshake, and at most once a second by
 * requests on open connections, which is what a changed password must reach. A change that does not
 * load is logged, once, and the last good config stays in force.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../log.js';
import { loadWebConfig, readWebConfig, type WebConfig } from './web-config-load.js';
import { WebConfigError } from './web-config.js';

export interface LiveWebConfig {
  readonly file: string;
  current(): WebConfig;
  /** Re-reads if a file changed since the last look; true when a new config came into force. */
  refresh(): boolean;
  /** Called with each new config that comes into force. */
  onChange(listener: (next: WebConfig, previous: WebConfig) => void): void;
}

/** The files' identities and times, to tell a change (a rename over the file, as cert-manager and kubelet do, included). */
function signature(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f, { bigint: true, throwIfNoEntry: false });
        return s === undefined ? 'missing' : `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      } catch (err) {
        return `error:${(err as NodeJS.ErrnoException).code ?? ''}`;
      }
    })
    .join('|');
}

/** Loads the web config at `file` (throws WebConfigError when it is bad: the exporter must not start). */
export function openWebConfig(file: string, log: Logger): LiveWebConfig {
  let current = loadWebConfig(file);
  let watched: readonly string[] = readFilesOf(current, file);
  let seen = signature(watched);
  const listeners: ((next: WebConfig, previous: WebConfig) => void)[] = [];

  const refresh = (): boolean => {
    // Taken before reading, so a change made while we read is seen at the next look.
    const now = signature(watched);
    if (now === seen) return false;
    seen = now;
    const { files, result } = readWebConfig(file);
    if (files.join('\0') !== watched.join('\0')) {
      watched = files;
      seen = signature(watched);
    }
    let problem: WebConfigError | undefined = result instanceof WebConfigError ? result : undefined;
    if (!(result instanceof WebConfigError)) {
      // A server is made for TLS or plain HTTP, with or without HTTP/2, when it starts.
      if ((result.tls === undefined) !== (current.tls === undefined)) {
        problem = new WebConfigError(file, 'tls_server_config', `turning TLS ${result.tls === undefined ? 'off' : 'on'} takes a restart`);
      } else if (result.tls !== undefined && result.spec.http2 !== current.spec.http2) {
        problem = new WebConfigError(file, 'http_server_config.http2', 'a change takes a restart');
      }
    }
    if (problem !== undefined || result instanceof WebConfigError) {
      log.error('web config not reloaded; the last good one stays in force', { err: (problem ?? (result as WebConfigError)).message });
      return false;
    }
    const previous = current;
    current = result;
    for (const l of listeners) {
      try {
        l(current, previous);
      } catch (err) {
        log.error('web config reloaded but not applied in full', { file, err: (err as Error).message });
      }
    }
    log.info('web config reloaded', { file, tls: current.tls !== undefined, users: current.spec.users.size });
    return true;
  };

  return {
    file,
    current: () => current,
    refresh,
    onChange: (l) => void listeners.push(l),
  };
}

function readFilesOf(config: WebConfig, file: string): string[] {
  const files = [file];
  const t = config.spec.tls;
  if (t !== undefined) for (const src of [t.cert, t.key, t.clientCa]) if (src !== undefined && 'file' in src) files.push(src.file);
  return files;
}
