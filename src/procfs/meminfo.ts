/** /proc/meminfo: "Key:   value kB" lines → bytes. Unknown keys are kept; absent keys stay absent. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const rest = line.slice(colon + 1).trim();
    const n = parseInt(rest, 10);
    if (!Number.isFinite(n)) continue;
    out.set(line.slice(0, colon), rest.endsWith('kB') ? n * 1024 : n);
  }
  return out;
}
