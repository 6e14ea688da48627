import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CanceledError } from '../../shared/errors';

// The worker body is plain JavaScript so it runs the same from sources (tests) and from
// the bundled build. It reads in 4 MiB blocks and reports progress every 64 MiB.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const buf = Buffer.allocUnsafe(4 << 20);
parentPort.on('message', ({ id, path }) => {
  let fd;
  try {
    // Hostile media (docs/security.md): never block on a FIFO or read a device; regular files only.
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const h = crypto.createHash('sha256');
    let size = 0, reported = 0, n;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
      h.update(buf.subarray(0, n));
      size += n;
      if (size - reported >= (64 << 20)) { parentPort.postMessage({ id, progress: size - reported }); reported = size; }
    }
    parentPort.postMessage({ id, progress: size - reported });
    parentPort.postMessage({ id, sha256: h.digest('hex'), size });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e), code: e && e.code });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

export interface FileHash {
  sha256: string;
  size: number;
}

interface Task {
  id: number;
  detach?: () => void;
  path: string;
  resolve: (h: FileHash) => void;
  reject: (e: Error) => void;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

/** Hashes files on worker threads, one file per core at a time, off the main thread. */
export class HashPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;

  constructor(private readonly size = Math.max(1, availableParallelism())) {}

  hashFile(path: string, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<FileHash> {
    if (opts.signal?.aborted) return Promise.reject(new CanceledError());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, path, resolve, reject, onBytes: opts.onBytes, signal: opts.signal });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      if (task.signal?.aborted) {
        task.reject(new CanceledError());
        continue;
      }
      this.assign(slot, task);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }) };
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; progress?: number; sha256?: string; size?: number; error?: string; code?: string }) => {
      const task = slot.task;
      if (!task || task.id !== m.id) return;
      if (m.progress !== undefined) return task.onBytes?.(m.progress);
      this.finish(slot);
      if (m.error !== undefined) {
        const e = new Error(`${task.path}: ${m.error}`) as Error & { code?: string };
        e.code = m.code;
        task.reject(e);
      } else task.resolve({ sha256: m.sha256!, size: m.size! });
    });
    slot.worker.on('error', (e) => {
      const task = slot.task;
      this.drop(slot);
      task?.reject(e);
    });
    this.slots.push(slot);
    return slot;
  }

  private assign(slot: Slot, task: Task): void {
    slot.task = task;
    const onAbort = (): void => {
      if (slot.task !== task) return;
      this.drop(slot);
      void slot.worker.terminate();
      task.reject(new CanceledError());
    };
    task.signal?.addEventListener('abort', onAbort, { once: true });
    task.detach = () => task.signal?.removeEventListener('abort', onAbort);
    slot.worker.postMessage({ id: task.id, path: task.path });
  }

  private finish(slot: Slot): void {
    slot.task?.detach?.();
    slot.task = undefined;
    setImmediate(() => this.pump());
  }

  private drop(slot: Slot): void {
    slot.task?.detach?.();
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.task = undefined;
    setImmediate(() => this.pump());
  }
}
