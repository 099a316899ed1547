import { readText } from './read.js';

/**
 * Fails fast, like prometheus/procfs's NewFS, when the configured root is not a procfs: a typo in
 * --path.procfs must not give an exporter that serves nothing and says nothing.
 */
export function checkProcfs(root: string): string | undefined {
  const res = readText(`${root}/meminfo`);
  if (res.text === undefined || !res.text.includes('MemTotal:')) {
    // 'gone' is the scan's word for a process that exited; for this file it simply is not there.
    const why = res.text !== undefined ? 'has no MemTotal' : res.failure === 'gone' ? 'does not exist' : 'cannot be read';
    return `--path.procfs ${root} is not a procfs: ${root}/meminfo ${why}`;
  }
  return undefined;
}
