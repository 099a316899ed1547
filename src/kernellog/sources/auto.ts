import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { KernelLogSourceName } from '../../config.js';
import { JOURNALCTL } from './journald.js';
import { KMSG_PATH } from './kmsg.js';
import type { SourceName } from './source.js';

export const SYSLOG_FILES: readonly string[] = ['/var/log/kern.log', '/var/log/messages', '/var/log/syslog'];

export interface SourceChoice {
  source: SourceName | 'none';
  /** The file to follow when source is 'file', else null. */
  file: string | null;
  /** Why each source tried before the chosen one was passed over (auto only), for the log. */
  rejected: { source: SourceName; reason: string }[];
}

export interface ChooseOptions {
  requested: KernelLogSourceName;
  /** --kernel-log.file: the file for `file`, and the first file `auto` tries. */
  file?: string | undefined;
  kmsgPath?: string;
  journalctl?: readonly string[];
  syslogFiles?: readonly string[];
}

/** null when /dev/kmsg can be opened; opening is the test, since dmesg_restrict refuses it to root-less readers. */
function kmsgProblem(path: string): string | null {
  try {
    fs.closeSync(fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    return null;
  } catch (e) {
    return `cannot open ${path}: ${(e as Error).message}`;
  }
}

/**
 * null when journalctl shows kernel records of this boot. Its exit code alone proves nothing: with no
 * journald running it prints nothing and exits 0.
 */
function journalProblem(command: readonly string[]): Promise<string | null> {
  const program = command[0] ?? 'journalctl';
  const args = [...command.slice(1), '-k', '-b', '-n', '1', '-o', 'json', '-q', '--no-pager'];
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 5000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim().split('\n').pop() || err.message;
        resolve(`${program} failed: ${detail}`);
      } else if (!String(stdout).trimStart().startsWith('{')) {
        resolve(`${program} shows no kernel records of this boot (is systemd-journald running?)`);
      } else {
        resolve(null);
      }
    });
  });
}

function fileProblem(path: string): string | null {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      if (!fs.fstatSync(fd).isFile()) return `${path} is not a regular file`;
    } finally {
      fs.closeSync(fd);
    }
    return null;
  } catch (e) {
    return `cannot open ${path}: ${(e as Error).message}`;
  }
}

/**
 * Resolves --kernel-log.source. An explicit source is taken as asked, unchecked: if it cannot be read
 * the source says so and oom_kernel_log_up stays 0, which is what an operator who asked for it needs to
 * see. `auto` tries /dev/kmsg, then journald, then the syslog files, and records why each was passed over.
 */
export async function chooseSource(opts: ChooseOptions): Promise<SourceChoice> {
  const { requested } = opts;
  if (requested === 'none' || requested === 'kmsg' || requested === 'journald') {
    return { source: requested, file: null, rejected: [] };
  }
  if (requested === 'file') {
    // config refuses --kernel-log.source=file without --kernel-log.file.
    return { source: 'file', file: opts.file ?? null, rejected: [] };
  }
  const rejected: SourceChoice['rejected'] = [];
  const kmsg = kmsgProblem(opts.kmsgPath ?? KMSG_PATH);
  if (kmsg === null) return { source: 'kmsg', file: null, rejected };
  rejected.push({ source: 'kmsg', reason: kmsg });
  const journal = await journalProblem(opts.journalctl ?? JOURNALCTL);
  if (journal === null) return { source: 'journald', file: null, rejected };
  rejected.push({ source: 'journald', reason: journal });
  const files = opts.file !== undefined ? [opts.file, ...(opts.syslogFiles ?? SYSLOG_FILES)] : (opts.syslogFiles ?? SYSLOG_FILES);
  for (const f of files) {
    const problem = fileProblem(f);
    if (problem === null) return { source: 'file', file: f, rejected };
    rejected.push({ source: 'file', reason: problem });
  }
  return { source: 'none', file: null, rejected };
}
