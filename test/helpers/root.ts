/** Tests that need root may skip on a developer machine without it, never in CI. */
export function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === 'true') throw new Error('this test needs root, and CI runs as root');
  return false;
}

/** The uid/gid of "nobody", for running the exporter unprivileged. */
export const NOBODY = { uid: 65534, gid: 65534 };
