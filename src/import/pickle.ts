// A restricted unpickler: reads the pickle opcodes (protocols 0–5) that torch.save and cloudpickle emit for
// state dicts and class references, and executes nothing. GLOBAL/STACK_GLOBAL only name a global; the caller
// decides which names may appear at all (`allow`) and what calling one of them builds (`call`). Any other
// global is a UsageError naming it.
import { UsageError } from '../util/errors.js';

/** A reference to a Python global (module.name), as the pickle names it. Never resolved to code. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A Python dict (also OrderedDict), insertion-ordered. */
export class PyDict {
  readonly entries = new Map<unknown, unknown>();
  /** State set by BUILD (e.g. a state_dict's _metadata); kept, never interpreted. */
  state: unknown = undefined;
}

/** A Python tuple (frozen array). */
export type PyTuple = readonly unknown[];

/** What REDUCE/NEWOBJ builds from an allowed global and its arguments. */
export type CallHandler = (callee: PyGlobal, args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** Whether a global may appear; the others stop the read with a UsageError. */
  allow: (global: PyGlobal) => boolean;
  /** Builds the value of calling an allowed global (REDUCE, NEWOBJ). Absent: every call is refused. */
  call?: CallHandler;
  /** Resolves a persistent id (BINPERSID); absent: persistent ids are refused. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Where the bytes came from, for messages. */
  where: string;
}

/** Reads one pickle from `bytes` under the options' restrictions and returns its value. */
export function unpickle(bytes: Uint8Array, o: UnpickleOptions): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const bad = (what: string): never => {
    throw new UsageError(`checkpoint pickle is damaged: ${what} at byte ${pos}`, o.where);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) bad('it ends early');
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad('a length too large');
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const text = (n: number) => {
    try {
      return decoder.decode(take(n));
    } catch {
      return bad('a string that is not UTF-8');
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) bad('a line without its end');
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => (stack.length === 0 ? bad('an empty stack') : stack.pop());
  const top = () => (stack.length === 0 ? bad('an empty stack') : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) return bad('a missing MARK');
    stack = previous;
    return items;
  };
  const global = (module: string, name: string) => {
    const g = new PyGlobal(module, name);
    if (!o.allow(g)) throw new UsageError(`checkpoint asks for '${g.qualified}', which qdistill does not load`, o.where);
    return g;
  };
  const call = (callee: unknown, args: unknown): unknown => {
    if (!(callee instanceof PyGlobal)) return bad('a call of something that is not a global');
    if (!Array.isArray(args)) return bad('call arguments that are not a tuple');
    if (!o.call) throw new UsageError(`checkpoint calls '${callee.qualified}', which qdistill does not do here`, o.where);
    return o.call(callee, args);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof PyDict)) return bad('SETITEM on something that is not a dict');
    if (items.length % 2) bad('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) dict.entries.set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) return bad('APPEND on something that is not a list');
    list.push(...items);
  };
  const int = (v: bigint) => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) bad('a pickle protocol above 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x2e: // STOP
        return pop();
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? u8() : u32();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(int(v));
        break;
      }
      case 0x49: {
        // INT (protocol 0): also True/False as 01/00
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : int(BigInt(s)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x74: {
        // TUPLE (popMark replaces `stack`, so it runs before the push)
        const items = popMark();
        stack.push(Object.freeze(items));
        break;
      }
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: only a dict's extra state (a state_dict's _metadata) is accepted, and kept as data
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict)) {
          const what = target instanceof PyGlobal ? target.qualified : typeof target;
          throw new UsageError(`checkpoint sets the state of ${what}, which qdistill does not do`, o.where);
        }
        target.state = state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!o.persistentLoad) throw new UsageError('checkpoint pickle refers to outside storage where none is expected', o.where);
        stack.push(o.persistentLoad(pid));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) bad(`a memo entry ${key} that was never stored`);
        stack.push(memo.get(key));
        break;
      }
      default:
        throw new UsageError(`checkpoint pickle uses opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}, which qdistill does not read`, o.where);
    }
  }
}
