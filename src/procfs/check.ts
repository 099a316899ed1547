import { readText } from './read.js';

/**
 * Fails fast, like prometheus/procfs's NewFS, when the configured root is not a procfs: a typo in
 * --path.procfs must not give an exporter that serves nothing and says nothing.
 */
export function checkProcfs(root: string): string | undefined {
  const res = readText(`${root}/meminfo`);
  if (res.text === undefined || !res.text.includes('MemTotal:')) {
    return `--path.procfs ${root} is not a procfs: ${root}/meminfo ${res.text === undefined ? `cannot be read (${res.failure})` : 'has no MemTotal'}`;
  }
  return undefined;
}
