import { intAt } from './read.js';

/**
 * /proc/PID/status: the process's name and memory, converted to bytes at parse time.
 * Keys the kernel does not print stay undefined (kernel threads and zombies have no Vm* lines).
 */
export interface ProcStatus {
  /** The kernel's comm (TASK_COMM_LEN: at most 15 bytes), with status's escapes undone. */
  name: string | undefined;
  state: string | undefined;
  /** The thread group (process) id: differs from the PID in the path for a thread's /proc/TID. */
  tgid: number | undefined;
  ppid: number | undefined;
  /** Real uid. */
  uid: number | undefined;
  vmRssBytes: number | undefined;
  vmSwapBytes: number | undefined;
  /** `Kthread: 1` since Linux 6.0; undefined on older kernels. */
  kthread: boolean | undefined;
  /** True when the process has an address space (VmSize present): false for kernel threads and zombies. */
  hasMm: boolean;
}

/** An octal escape's three digits, right after the backslash. */
const OCTAL_ESCAPE = /^[0-7]{3}/;

/**
 * Undoes the escaping of status's Name: the kernel prints "\n" as "\\n" and "\\" as "\\\\"
 * (proc_task_name → seq_escape_str with ESCAPE_SPACE|ESCAPE_SPECIAL), so a comm holding a newline or
 * a backslash round-trips.
 */
export function unescapeStatusName(raw: string): string {
  // Fast path: most names hold no backslash (the loop below would return them unchanged).
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    // '' after a lone backslash at the very end: no escape follows it, so it is kept (default below).
    const next = raw.charAt(i + 1);
    i++;
    switch (next) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'e':
        out += '\x1b';
        break;
      default: {
        // Octal escape \NNN for other non-printable bytes; anything else after a backslash is no escape.
        const oct = OCTAL_ESCAPE.exec(raw.slice(i));
        if (oct) {
          out += String.fromCharCode(parseInt(oct[0], 8));
          i += 2;
        } else {
          out += '\\' + next;
        }
      }
    }
  }
  return out;
}

// Keys as bytes, to compare in place (ASCII: the same bytes in UTF-8 and Latin-1).
const K_NAME = Buffer.from('Name:');
const K_STATE = Buffer.from('State:');
const K_TGID = Buffer.from('Tgid:');
const K_PPID = Buffer.from('PPid:');
const K_UID = Buffer.from('Uid:');
const K_KTHREAD = Buffer.from('Kthread:');
const K_VMSIZE = Buffer.from('VmSize:');
const K_VMRSS = Buffer.from('VmRSS:');
const K_VMSWAP = Buffer.from('VmSwap:');

function startsWithAt(b: Buffer, pos: number, key: Buffer): boolean {
  if (pos + key.length > b.length) return false;
  for (let i = 0; i < key.length; i++) if (b[pos + i] !== key[i]) return false;
  return true;
}

/** Values follow the key's colon after one tab; Name's value is then the rest of the line, verbatim. */
function valueStart(b: Buffer, afterColon: number): number {
  return b[afterColon] === 9 /* \t */ ? afterColon + 1 : afterColon;
}

function kbAt(b: Buffer, pos: number, end: number): number | undefined {
  const kb = intAt(b, pos, end);
  return kb === undefined ? undefined : kb * 1024;
}

/**
 * Parses status from bytes in place: this runs once per process per scrape, and turning every status
 * file into a string (1–2 KiB each) was most of the scrape's garbage. Only Name becomes a string.
 */
export function parseStatusBytes(b: Buffer, len: number): ProcStatus {
  const out: ProcStatus = {
    name: undefined,
    state: undefined,
    tgid: undefined,
    ppid: undefined,
    uid: undefined,
    vmRssBytes: undefined,
    vmSwapBytes: undefined,
    kthread: undefined,
    hasMm: false,
  };
  let pos = 0;
  while (pos < len) {
    let eol = b.indexOf(10, pos);
    if (eol === -1 || eol > len) eol = len;
    switch (b[pos]) {
      case 78 /* N */:
        if (startsWithAt(b, pos, K_NAME)) out.name = unescapeStatusName(b.toString('utf8', valueStart(b, pos + 5), eol));
        break;
      case 83 /* S */:
        if (startsWithAt(b, pos, K_STATE)) out.state = String.fromCharCode(b[valueStart(b, pos + 6)] ?? 63);
        break;
      case 80 /* P */:
        if (startsWithAt(b, pos, K_PPID)) out.ppid = intAt(b, pos + 5, eol);
        break;
      case 84 /* T */:
        if (startsWithAt(b, pos, K_TGID)) out.tgid = intAt(b, pos + 5, eol);
        break;
      case 85 /* U */:
        if (startsWithAt(b, pos, K_UID)) out.uid = intAt(b, pos + 4, eol);
        break;
      case 75 /* K */:
        if (startsWithAt(b, pos, K_KTHREAD)) out.kthread = b[valueStart(b, pos + 8)] === 49; /* 1 */
        break;
      case 86 /* V */:
        if (startsWithAt(b, pos, K_VMSIZE)) out.hasMm = true;
        else if (startsWithAt(b, pos, K_VMRSS)) out.vmRssBytes = kbAt(b, pos + 6, eol);
        else if (startsWithAt(b, pos, K_VMSWAP)) out.vmSwapBytes = kbAt(b, pos + 7, eol);
        break;
    }
    pos = eol + 1;
  }
  return out;
}

/** parseStatus for text (tests, tools): the same parser over the text's UTF-8 bytes. */
export function parseStatus(text: string): ProcStatus {
  const b = Buffer.from(text);
  return parseStatusBytes(b, b.length);
}

/** Kernel threads never hold user memory and the OOM killer never picks them. */
export function isKernelThread(pid: number, status: ProcStatus): boolean {
  if (status.kthread !== undefined) return status.kthread;
  // Before 6.0: kthreadd is pid 2 and every kernel thread is its child; they have no mm.
  return !status.hasMm && (pid === 2 || status.ppid === 2);
}
