/** /proc/vmstat: "name value" lines. Returns undefined for a key the kernel does not print. */
export function parseVmstatValue(text: string, key: string): number | undefined {
  const at = text.startsWith(key + ' ') ? 0 : text.indexOf('\n' + key + ' ');
  if (at === -1) return undefined;
  const start = at === 0 ? key.length + 1 : at + key.length + 2;
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  const n = parseInt(text.slice(start, end), 10);
  return Number.isFinite(n) ? n : undefined;
}
