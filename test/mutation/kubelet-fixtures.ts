import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest globalSetup for the mutation run. The kubelet fixture trees hold dangling symlinks on purpose
 * (kubelet links /var/log/containers/* to absolute paths on the node, which the tests never follow),
 * and StrykerJS copies the project into .stryker-tmp/sandbox-*, following links: it cannot copy those,
 * so stryker.config.mjs leaves the trees out, and here the sandbox gets a link to the project's own.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const here = path.join(root, 'test/fixtures/kubelet');
  if (fs.existsSync(here)) return;
  const sandboxes = path.dirname(root);
  if (path.basename(sandboxes) !== '.stryker-tmp') throw new Error(`${here} is missing (and this is not a StrykerJS sandbox)`);
  fs.symlinkSync(path.join(path.dirname(sandboxes), 'test/fixtures/kubelet'), here);
}
