/** Whether an Accept-Encoding header asks for gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string): boolean {
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
