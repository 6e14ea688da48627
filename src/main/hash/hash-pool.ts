import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CanceledError } from '../../shared/errors';

// The worker body is plain JavaScript so it runs the same from sources (tests) and from the bundled
// build. Hostile media (docs/security.md): the file is opened O_NOFOLLOW | O_NONBLOCK (no symlink, never
// blocking on a FIFO) and must be a regular file by fstat of that descriptor; with an expected size it
// must measure exactly that, and a file growing past it while read is refused.
// Reads are 8 MiB and run ahead: the next block is read (libuv's thread pool) while this one is hashed,
// so disk and core work at once. With `direct`, the file is read with O_DIRECT (the medium, not the page
// cache) into a block-aligned window of the buffer; where the filesystem refuses it the answer is an
// ENODIRECT error before any byte is read (the caller then reads another way). Progress goes out every 64 MiB
// and with the result; content never leaves the worker.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const BLOCK = 8 << 20, ALIGN = 4096;
const raw = [Buffer.allocUnsafeSlow(BLOCK + ALIGN), Buffer.allocUnsafeSlow(BLOCK + ALIGN)];
const plain = raw.map((b) => b.subarray(0, BLOCK));
let aligned; // block-aligned windows of raw, found by trying (Node does not expose addresses)
const readAt = (fd, buf, pos) => new Promise((res, rej) => fs.read(fd, buf, 0, buf.length, pos, (e, n) => (e ? rej(e) : res(n))));
const fail = (message, code) => Object.assign(new Error(message), { code });
/** Finds block-aligned windows of the buffers by trying an O_DIRECT read of fd (Node does not expose addresses). */
function findAligned(fd) {
  for (let off = 0; off < ALIGN && !aligned; off += 16) {
    try { fs.readSync(fd, raw[0], off, ALIGN, 0); aligned = raw.map((b) => b.subarray(off, off + BLOCK)); }
    catch (e) { if (e.code !== 'EINVAL') throw e; }
  }
  return aligned;
}
async function hashOnce(id, path, want, direct) {
  let fd;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | (direct ? fs.constants.O_DIRECT : 0));
  } catch (e) {
    throw e.code === 'EINVAL' ? fail('this filesystem does not allow O_DIRECT reads', 'ENODIRECT') : e;
  }
  let next;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw fail('not a regular file', 'ENOTREG');
    if (want !== undefined && st.size !== want) throw fail('is ' + st.size + ' bytes, expected ' + want, 'ESIZE');
    if (direct && (st.size === 0 || !findAligned(fd))) throw fail('O_DIRECT reads of this file are not possible here', 'ENODIRECT');
    const bufs = direct ? aligned : plain;
    const h = crypto.createHash('sha256');
    if (!direct && st.size < BLOCK) {
      // A small file in one read on this thread (no trip through libuv's pool): one byte more than
      // its size is asked for, so a file that grew is still caught.
      const n = fs.readSync(fd, plain[0], 0, Math.min(BLOCK, st.size + 1), 0);
      if (want !== undefined && n > want) throw fail('grew past the expected ' + want + ' bytes while being read', 'ESIZE');
      h.update(plain[0].subarray(0, n));
      return { id, sha256: h.digest('hex'), size: n, direct, progress: n };
    }
    let size = 0, reported = 0, cur = 0;
    next = readAt(fd, bufs[cur], 0);
    for (;;) {
      const n = await next;
      next = undefined;
      if (n === 0) break;
      const chunk = bufs[cur].subarray(0, n);
      size += n;
      if (want !== undefined && size > want) throw fail('grew past the expected ' + want + ' bytes while being read', 'ESIZE');
      cur ^= 1;
      // O_DIRECT reads only at aligned offsets: a short read is the end of the file.
      next = direct && n < BLOCK ? Promise.resolve(0) : readAt(fd, bufs[cur], size);
      h.update(chunk);
      if (size - reported >= (64 << 20)) { parentPort.postMessage({ id, progress: size - reported }); reported = size; }
    }
    return { id, sha256: h.digest('hex'), size, direct, progress: size - reported };
  } finally {
    if (next) await next.catch(() => 0);
    fs.closeSync(fd);
  }
}
async function hash({ id, path, size, direct }) {
  if (direct && !fs.constants.O_DIRECT) throw fail('this system has no O_DIRECT reads', 'ENODIRECT');
  try {
    return await hashOnce(id, path, size, direct);
  } catch (e) {
    // A device wanting larger alignment than found: the caller reads it another way.
    throw direct && e.code === 'EINVAL' ? fail('O_DIRECT reads of this file are not possible here', 'ENODIRECT') : e;
  }
}
// One file at a time (the read buffers are shared); files sent ahead wait their turn here.
let chain = Promise.resolve();
parentPort.on('message', (m) => {
  chain = chain.then(() => hash(m).then((r) => parentPort.postMessage(r), (e) => parentPort.postMessage({ id: m.id, error: String((e && e.message) || e), code: e && e.code })));
});
`;

export interface FileHash {
  sha256: string;
  size: number;
  /** Read with O_DIRECT (from the medium, not the page cache). */
  direct?: boolean;
}

export interface HashFileOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** The size the file must have (a manifest's or label's): anything else is refused before reading, growth while reading too. */
  size?: number;
  /** Read around the page cache (O_DIRECT): a read-back of what was just written. Where the filesystem does not allow it the promise rejects with code ENODIRECT, nothing read. */
  direct?: boolean;
}

interface Task {
  id: number;
  path: string;
  resolve: (h: FileHash) => void;
  reject: (e: Error) => void;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
  size?: number;
  direct?: boolean;
}

interface Slot {
  worker: Worker;
  /** Files sent to this worker and not answered yet, by id (it hashes them one after another). */
  tasks: Map<number, Task>;
  /** Their sizes added up. */
  bytes: number;
  /** One abort listener per signal among them (many files sent ahead share one caller's signal). */
  listening: Map<AbortSignal, () => void>;
}

/**
 * Small files are sent ahead, several to a worker, so a worker never waits for the main thread
 * between two tiny files (100,000 layers: the round trip per file was most of the time). A worker
 * takes more only while everything it holds is small; a large file always goes to an idle worker,
 * so largest-first still spreads the large files over the cores.
 */
const SMALL_FILE = 1 << 20;
const SMALL_AHEAD_BYTES = 4 << 20;
const SMALL_AHEAD_FILES = 32;
const isSmall = (t: Task): boolean => t.size !== undefined && t.size <= SMALL_FILE;

/** Hashes files on worker threads, one file per core at a time, off the main thread. */
export class HashPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(private readonly size = Math.max(1, availableParallelism())) {}

  /** Hashes one file; files are taken in the order asked, so a caller wanting largest-first asks in that order. */
  hashFile(path: string, opts: HashFileOptions = {}): Promise<FileHash> {
    if (opts.signal?.aborted) return Promise.reject(new CanceledError());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, path, resolve, reject, onBytes: opts.onBytes, signal: opts.signal, size: opts.size, direct: opts.direct });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private accepts(slot: Slot, task: Task): boolean {
    if (slot.tasks.size === 0) return true;
    if (!isSmall(task) || slot.tasks.size >= SMALL_AHEAD_FILES || slot.bytes + task.size! > SMALL_AHEAD_BYTES) return false;
    for (const t of slot.tasks.values()) if (!isSmall(t)) return false;
    return true;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const task = this.queue[0]!;
      let slot = this.slots.find((s) => s.tasks.size === 0);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      slot ??= this.slots.find((s) => this.accepts(s, task));
      if (!slot) return;
      this.queue.shift();
      if (task.signal?.aborted) {
        task.reject(new CanceledError());
        continue;
      }
      this.assign(slot, task);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), tasks: new Map(), bytes: 0, listening: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; progress?: number; sha256?: string; size?: number; direct?: boolean; error?: string; code?: string }) => {
      const task = slot.tasks.get(m.id);
      if (!task) return;
      if (m.progress) task.onBytes?.(m.progress);
      if (m.sha256 === undefined && m.error === undefined) return;
      this.finish(slot, task);
      if (m.error !== undefined) {
        const e = new Error(`${task.path}: ${m.error}`) as Error & { code?: string };
        e.code = m.code;
        task.reject(e);
      } else task.resolve({ sha256: m.sha256!, size: m.size!, ...(m.direct ? { direct: true } : {}) });
    });
    slot.worker.on('error', (e) => {
      for (const task of this.drop(slot)) task.reject(e);
    });
    this.slots.push(slot);
    return slot;
  }

  private assign(slot: Slot, task: Task): void {
    slot.tasks.set(task.id, task);
    slot.bytes += task.size ?? 0;
    const signal = task.signal;
    if (signal && !slot.listening.has(signal)) {
      // The worker may be inside one of this signal's files: it goes. The files of other callers
      // that were sent ahead to it go back to the queue's front.
      const onAbort = (): void => {
        if (!this.slots.includes(slot)) return;
        const held = this.drop(slot);
        void slot.worker.terminate();
        const others = held.filter((t) => t.signal !== signal);
        for (const t of held) if (t.signal === signal) t.reject(new CanceledError());
        this.queue.unshift(...others);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      slot.listening.set(signal, onAbort);
    }
    slot.worker.postMessage({ id: task.id, path: task.path, size: task.size, direct: task.direct === true });
  }

  private finish(slot: Slot, task: Task): void {
    slot.tasks.delete(task.id);
    slot.bytes -= task.size ?? 0;
    const signal = task.signal;
    if (signal && ![...slot.tasks.values()].some((t) => t.signal === signal)) this.unlisten(slot, signal);
    setImmediate(() => this.pump());
  }

  private unlisten(slot: Slot, signal: AbortSignal): void {
    const onAbort = slot.listening.get(signal);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    slot.listening.delete(signal);
  }

  /** Takes the slot out of the pool; returns the files it held, its abort listeners removed. */
  private drop(slot: Slot): Task[] {
    const tasks = [...slot.tasks.values()];
    for (const signal of [...slot.listening.keys()]) this.unlisten(slot, signal);
    slot.tasks.clear();
    slot.bytes = 0;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    setImmediate(() => this.pump());
    return tasks;
  }
}
