/** The weight of one Accept-Encoding member: its q parameter (names are case-insensitive), 1 without one. */
function weight(params: readonly string[]): number {
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const q = Number(p.slice(eq + 1).trim());
    // An unreadable weight is no consent.
    return Number.isFinite(q) ? q : 0;
  }
  return 1;
}

/**
 * Whether an Accept-Encoding header (RFC 9110 §12.5.3) asks for gzip: `gzip` (or the old `x-gzip`)
 * with a weight above 0, or else `*` with one. `gzip;Q=0` refuses it: parameter names are
 * case-insensitive.
 */
export function acceptsGzip(header: string): boolean {
  let star: number | undefined;
  for (const member of header.split(',')) {
    const [coding = '', ...params] = member.split(';');
    const name = coding.trim().toLowerCase();
    if (name === 'gzip' || name === 'x-gzip') return weight(params) > 0;
    if (name === '*') star = weight(params);
  }
  return star !== undefined && star > 0;
}
