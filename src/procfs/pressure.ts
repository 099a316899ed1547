/**
 * /proc/pressure/memory (PSI, Linux 4.20+ with CONFIG_PSI and psi not disabled):
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=12345
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=678
 * total is cumulative stall time in microseconds; we return seconds.
 */
export interface Pressure {
  someSeconds: number | undefined;
  fullSeconds: number | undefined;
}

export function parsePressure(text: string): Pressure {
  const out: Pressure = { someSeconds: undefined, fullSeconds: undefined };
  for (const line of text.split('\n')) {
    const m = /^(some|full)\s.*\btotal=(\d+)/.exec(line);
    if (!m) continue;
    const seconds = Number(m[2]) / 1e6;
    if (m[1] === 'some') out.someSeconds = seconds;
    else out.fullSeconds = seconds;
  }
  return out;
}
