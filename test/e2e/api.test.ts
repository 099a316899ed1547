import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter, type RunningExporter } from '../helpers/cli.js';
import { makeMemoryCgroup, realOomKill } from '../helpers/oom.js';
import { requireRoot } from '../helpers/root.js';

const COMM = 'oom (api) e2e';

type Kill = Record<string, unknown> & { pid: number; cgroup: string | null; victim: { rssBytes: number | null } | null };

/** Reads an event stream until a kill event for `pid` arrives; resolves with its data. */
async function nextKillEvent(url: string, pid: () => number | undefined, signal: AbortSignal): Promise<Kill> {
  const res = await fetch(url, { signal });
  if (res.status !== 200) throw new Error(`event stream answered ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended');
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) !== -1) {
      const event = text.slice(0, end);
      text = text.slice(end + 2);
      const m = /^(?:id: \d+\n)?event: kill\ndata: (.*)$/.exec(event);
      if (m === null) continue;
      const kill = JSON.parse(m[1]!) as Kill;
      // Other tests on this host kill too: only ours counts.
      if (kill.comm === COMM && (pid() === undefined || kill.pid === pid())) return kill;
    }
  }
}

// Root makes the cgroup and reads /dev/kmsg; CI runs as root, so there this never skips.
describe.runIf(requireRoot())('the JSON API on a real OOM kill', () => {
  let exp: RunningExporter;
  beforeAll(async () => {
    exp = await startExporter(['--kernel-log.source=kmsg']);
  });
  afterAll(async () => {
    await exp?.stop();
  });

  it('lists the kill with its cgroup and what it knew of the victim, and streams it', async () => {
    const ac = new AbortController();
    let pid: number | undefined;
    const streamed = nextKillEvent(`${exp.url}/api/v1/events`, () => pid, ac.signal);
    const cg = makeMemoryCgroup('oomapi');
    try {
      // A second old when it dies: the exporter has seen it, so it knows its RSS.
      const kill = await realOomKill(COMM, cg, 1);
      pid = kill.pid;
      let listed: Kill | undefined;
      for (let i = 0; i < 100 && listed === undefined; i++) {
        const body = (await (await fetch(`${exp.url}/api/v1/kills`)).json()) as { data: { kills: Kill[] } };
        listed = body.data.kills.find((k) => k.pid === kill.pid && k.comm === COMM);
        if (listed === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(listed).toMatchObject({ killer: 'kernel', comm: COMM, cgroup: cg.path });
      expect(listed!.victim?.rssBytes).toBeGreaterThan(0);
      // The kill's time (boot time to the millisecond plus the kernel's stamp) comes after the victim
      // was last seen alive; with whole-second btime it could be up to a second early.
      const seenAt = Date.parse((listed!.victim as unknown as { seenAt: string }).seenAt);
      expect(Date.parse(listed!['time'] as string)).toBeGreaterThanOrEqual(seenAt);
      const event = await streamed;
      expect(event.id).toBe(listed!.id);
      expect(event).toEqual(listed);
      const one = (await (await fetch(`${exp.url}/api/v1/kills/${String(listed!.id)}`)).json()) as { data: { kill: Kill } };
      expect(one.data.kill).toEqual(listed);
    } finally {
      ac.abort();
      await streamed.catch(() => undefined);
      await cg.remove();
    }
  });
});
