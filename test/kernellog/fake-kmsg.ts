import type { KmsgReadFn } from '../../src/kernellog/sources/kmsg.js';

/** An errno error as fs.readSync throws it. */
export function errno(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: fake`);
  e.code = code;
  return e;
}

/** One /dev/kmsg record as read() returns it. facility 0 is the kernel's. */
export function kmsgRecord(seq: number, message: string, facility = 0, level = 6): string {
  return `${facility * 8 + level},${seq},${seq * 1000 + 5_000_000},-;${message}\n`;
}

/**
 * A scripted /dev/kmsg: each read() takes the next item, a record or an error to throw; an empty
 * script is EAGAIN, as the real device says when drained.
 */
export function fakeKmsg() {
  const script: (string | NodeJS.ErrnoException)[] = [];
  let reads = 0;
  const read: KmsgReadFn = (_fd, buf) => {
    reads++;
    const item = script.shift();
    if (item === undefined) throw errno('EAGAIN');
    if (typeof item !== 'string') throw item;
    const len = Buffer.byteLength(item);
    // The real device refuses a buffer too small for the record and keeps the record for the next read.
    if (len > buf.length) {
      script.unshift(item);
      throw errno('EINVAL');
    }
    return buf.write(item);
  };
  return {
    read,
    push(...items: (string | NodeJS.ErrnoException)[]) {
      script.push(...items);
    },
    records(from: number, to: number, message: (seq: number) => string = (s) => `record ${s}`) {
      for (let s = from; s <= to; s++) script.push(kmsgRecord(s, message(s)));
    },
    reads: () => reads,
    pending: () => script.length,
  };
}
