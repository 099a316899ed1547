import { describe, expect, it } from 'vitest';
import { commandLine, readRepo } from './tools.js';

const UNIT = 'deploy/systemd/oom-exporter.service';

/** A unit file's settings by section and key, in order (systemd.syntax: `\` at a line's end continues it). */
function parseUnit(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) throw new Error(`${UNIT}: not a setting: ${line}`);
    const key = `${section}.${line.slice(0, eq).trim()}`;
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return settings;
}

/**
 * ExecStart= as systemd runs it (systemd.service, "Command lines"): words split on whitespace, `${NAME}`
 * replaced by the variable's value as one word. Anything else systemd would interpret (quotes, `$NAME`
 * split on whitespace, `%` specifiers) is refused here rather than read wrong.
 */
function execStart(settings: Map<string, string[]>, env: Record<string, string>): string[] {
  const [line, ...more] = settings.get('Service.ExecStart') ?? [];
  expect(more).toEqual([]);
  if (line === undefined) throw new Error(`${UNIT} has no ExecStart=`);
  if (/["'%]|\$(?!\{)/.test(line)) throw new Error(`ExecStart= uses syntax this test does not read: ${line}`);
  return line
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) =>
      w.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
        const v = env[name];
        if (v === undefined) throw new Error(`ExecStart= uses \${${name}}, which the unit does not set`);
        return v;
      }),
    );
}

/** The environment systemd gives the service: its Environment= lines, and $STATE_DIRECTORY for StateDirectory=. */
function environment(settings: Map<string, string[]>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of settings.get('Service.Environment') ?? []) {
    const eq = assignment.indexOf('=');
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  const state = settings.get('Service.StateDirectory') ?? [];
  if (state.length === 1) env['STATE_DIRECTORY'] = `/var/lib/${state[0]}`;
  return env;
}

describe(UNIT, () => {
  const text = readRepo(UNIT);
  const settings = parseUnit(text);

  it('runs the built CLI with flags the real flag parser accepts: port 19857, the state file in its StateDirectory, plain HTTP', () => {
    const argv = execStart(settings, environment(settings));
    expect(argv.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/oom-exporter/dist/cli.js']);
    const { config, changed } = commandLine(argv.slice(2));
    // An empty --web.config.file is no web config (node_exporter's rule), not a file named "".
    expect(changed).toEqual({ kernelLogStateFile: '/var/lib/oom-exporter/kernel-log.json' });
    expect(config.listen).toEqual({ host: '', port: 19857 });
    expect(config.webConfigFile).toBeUndefined();
  });

  it('with the drop-in its comments give, serves the web config from /etc/oom-exporter/web', () => {
    const dropIn = /^#\s+Environment=OOM_EXPORTER_WEB_CONFIG=(\S+)$/m.exec(text)?.[1];
    expect(dropIn).toBe('/etc/oom-exporter/web/web-config.yml');
    const argv = execStart(settings, { ...environment(settings), OOM_EXPORTER_WEB_CONFIG: dropIn ?? '' });
    expect(commandLine(argv.slice(2)).changed).toEqual({ kernelLogStateFile: '/var/lib/oom-exporter/kernel-log.json', webConfigFile: '/etc/oom-exporter/web/web-config.yml' });
  });

  it('keeps the exporter alive and confined: CAP_SYSLOG only, never the OOM killer’s pick, a read-only system', () => {
    const one = (key: string): string | undefined => {
      const v = settings.get(`Service.${key}`);
      expect(v, key).toHaveLength(1);
      return v?.[0];
    };
    expect(one('AmbientCapabilities')).toBe('CAP_SYSLOG');
    expect(one('CapabilityBoundingSet')).toBe('CAP_SYSLOG');
    expect(one('DynamicUser')).toBe('yes');
    expect(one('SupplementaryGroups')).toBe('systemd-journal');
    expect(Number(one('OOMScoreAdjust'))).toBe(-900);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(settings.get('Install.WantedBy')).toEqual(['multi-user.target']);
  });

  it('the reader refuses what it cannot read, so a change to the unit cannot pass unread', () => {
    const quoted = parseUnit('[Service]\nExecStart=/usr/bin/node "/opt/my dir/cli.js"\n');
    expect(() => execStart(quoted, {})).toThrow(/syntax this test does not read/);
    const unset = parseUnit('[Service]\nExecStart=/usr/bin/node x --web.config.file=${NOPE}\n');
    expect(() => execStart(unset, {})).toThrow(/\$\{NOPE\}/);
    expect(() => commandLine(['--web.listen-adress=:1'])).toThrow(/web\.listen-adress/);
  });
});
