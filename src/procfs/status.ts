/**
 * /proc/PID/status: the process's name and memory, converted to bytes at parse time.
 * Keys the kernel does not print stay undefined (kernel threads and zombies have no Vm* lines).
 */
export interface ProcStatus {
  /** The kernel's comm (TASK_COMM_LEN: at most 15 bytes), with status's escapes undone. */
  name: string | undefined;
  state: string | undefined;
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

/**
 * Undoes the escaping of status's Name: the kernel prints "\n" as "\\n" and "\\" as "\\\\"
 * (proc_task_name → seq_escape_str with ESCAPE_SPACE|ESCAPE_SPECIAL), so a comm holding a newline or
 * a backslash round-trips.
 */
export function unescapeStatusName(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const next = raw[i + 1];
    i++;
    switch (next) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'e': out += '\x1b'; break;
      default:
        if (next !== undefined && next >= '0' && next <= '7') {
          // Octal escape \NNN for other non-printable bytes.
          const oct = raw.slice(i, i + 3);
          if (/^[0-7]{3}$/.test(oct)) {
            out += String.fromCharCode(parseInt(oct, 8));
            i += 2;
            break;
          }
        }
        out += '\\' + (next ?? '');
    }
  }
  return out;
}

function kbToBytes(value: string): number | undefined {
  // Values look like "   123456 kB"; parseInt skips leading blanks and stops at the unit.
  const n = parseInt(value, 10);
  return Number.isFinite(n) ? n * 1024 : undefined;
}

export function parseStatus(text: string): ProcStatus {
  const out: ProcStatus = {
    name: undefined,
    state: undefined,
    ppid: undefined,
    uid: undefined,
    vmRssBytes: undefined,
    vmSwapBytes: undefined,
    kthread: undefined,
    hasMm: false,
  };
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = len;
    const colon = text.indexOf(':', pos);
    if (colon !== -1 && colon < eol) {
      const key = text.slice(pos, colon);
      // Values are separated from the key by a tab; Name's value is the rest of the line, verbatim.
      let vstart = colon + 1;
      if (text.charCodeAt(vstart) === 9 /* \t */) vstart++;
      switch (key) {
        case 'Name':
          out.name = unescapeStatusName(text.slice(vstart, eol));
          break;
        case 'State':
          out.state = text.charAt(vstart);
          break;
        case 'PPid':
          out.ppid = parseInt(text.slice(vstart, eol), 10);
          break;
        case 'Uid':
          out.uid = parseInt(text.slice(vstart, eol), 10);
          break;
        case 'VmSize':
          out.hasMm = true;
          break;
        case 'VmRSS':
          out.vmRssBytes = kbToBytes(text.slice(vstart, eol));
          break;
        case 'VmSwap':
          out.vmSwapBytes = kbToBytes(text.slice(vstart, eol));
          break;
        case 'Kthread':
          out.kthread = text.charAt(vstart) === '1';
          break;
        default:
          break;
      }
    }
    pos = eol + 1;
  }
  return out;
}

/** Kernel threads never hold user memory and the OOM killer never picks them. */
export function isKernelThread(pid: number, status: ProcStatus): boolean {
  if (status.kthread !== undefined) return status.kthread;
  // Before 6.0: kthreadd is pid 2 and every kernel thread is its child; they have no mm.
  return !status.hasMm && (pid === 2 || status.ppid === 2);
}
