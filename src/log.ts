/**
 * A small leveled logger writing logfmt (node_exporter's default) or JSON lines to stderr.
 * Hand-written because pino, which fastify bundles, has no logfmt output and the exporter logs a
 * handful of lines, not a request stream.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

function logfmtValue(v: string): string {
  return /^[^\s"=\\]+$/.test(v) && v !== '' ? v : JSON.stringify(v);
}

export function createLogger(level: LogLevel, format: LogFormat, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entries: [string, string | number | boolean | null][] = [
      ['time', new Date().toISOString()],
      ['level', lvl],
      ['msg', msg],
    ];
    // undefined means "not a field here"; null means "a field whose value is unknown", and is kept so
    // a log pipeline sees every key of a record (a kill's last_oom_score when the exporter never saw
    // the victim): JSON null, and an empty logfmt value (`key=`), which logfmt parsers read as empty.
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) entries.push([k, v]);
    if (format === 'json') {
      write(JSON.stringify(Object.fromEntries(entries)) + '\n');
    } else {
      write(entries.map(([k, v]) => (v === null ? `${k}=` : `${k}=${logfmtValue(String(v))}`)).join(' ') + '\n');
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
