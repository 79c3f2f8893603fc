// Prefetching batch loader: while the caller trains on batch i, batches i+1..i+prefetch are being
// decoded and augmented. From compiled JS (dist/) the work runs in a worker thread; where the
// worker script is not available as JS (vitest runs the TypeScript sources), it runs on the main
// thread between the caller's awaits (e.g. while it waits for the GPU), which still overlaps with
// device work but not with CPU work.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Rng, hashSeed } from '../data/rng.js';
import type { Batch } from './augment.js';
import { BatchSource, type BatchSourceConfig } from './batch-source.js';
import type { WorkerReply } from './loader-worker.js';

/** Sample indices of batch i, or null when the plan is exhausted. */
export type BatchPlan = (batchIndex: number) => number[] | null;

/**
 * Endless epochs: each epoch a fresh seeded shuffle of 0..numSamples-1 cut into batches (the last
 * partial batch dropped, as training with BN wants full batches), stopping after `maxBatches`.
 */
export function epochPlan(numSamples: number, batchSize: number, seed: number, maxBatches = Infinity): BatchPlan {
  if (numSamples < batchSize) throw new Error(`epochPlan: ${numSamples} samples cannot fill a batch of ${batchSize}`);
  const perEpoch = Math.floor(numSamples / batchSize);
  const orders = new Map<number, number[]>();
  return (i) => {
    if (i >= maxBatches) return null;
    const epoch = Math.floor(i / perEpoch);
    let order = orders.get(epoch);
    if (!order) {
      order = new Rng(hashSeed(seed, epoch)).shuffle([...Array(numSamples).keys()]);
      orders.clear();
      orders.set(epoch, order);
    }
    const k = (i % perEpoch) * batchSize;
    return order.slice(k, k + batchSize);
  };
}

export interface LoaderOptions {
  seed: number;
  /** Batches prepared ahead of the one being consumed. */
  prefetch?: number;
  /** 'auto' (default): a worker when the compiled worker script exists. */
  worker?: boolean | 'auto';
  /** Override of the worker script (tests point it at a freshly compiled copy). */
  workerUrl?: URL;
  /** First batch index of the plan (a resumed run continues where it stopped, with the same batches). */
  startAt?: number;
}

export interface LoaderStats {
  batches: number;
  /** Time next() spent waiting for a batch that was not ready yet. */
  waitMs: number;
}

interface Pending {
  promise: Promise<Batch>;
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

function pending(): Pending {
  let resolve!: (b: Batch) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<Batch>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A prefetched batch may fail before anyone awaits it; next() rethrows it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class BatchLoader {
  readonly usesWorker: boolean;
  private readonly prefetch: number;
  private readonly inflight = new Map<number, Pending>();
  private nextToRequest = 0;
  private nextToReturn = 0;
  private exhaustedAt = Infinity;
  private worker: Worker | null = null;
  private source: BatchSource | null = null;
  private closed = false;
  private readonly statsData: LoaderStats = { batches: 0, waitMs: 0 };

  constructor(
    config: BatchSourceConfig,
    private readonly plan: BatchPlan,
    private readonly options: LoaderOptions,
  ) {
    this.prefetch = Math.max(1, options.prefetch ?? 2);
    this.nextToRequest = this.nextToReturn = options.startAt ?? 0;
    const url = options.workerUrl ?? new URL('./loader-worker.js', import.meta.url);
    const want = options.worker ?? 'auto';
    this.usesWorker = want === true || (want === 'auto' && existsSync(fileURLToPath(url)));
    if (this.usesWorker) {
      this.worker = new Worker(url, { workerData: config });
      this.worker.on('message', (msg: WorkerReply) => this.settle(msg));
      this.worker.on('error', (err) => this.failAll(err));
      // Not unref'd: a pending batch must keep the process alive (close() terminates the worker).
    } else {
      this.source = new BatchSource(config);
    }
    this.fill();
  }

  get stats(): LoaderStats {
    return { ...this.statsData };
  }

  /** The next batch in plan order, or null after the plan's last batch. */
  async next(): Promise<Batch | null> {
    if (this.closed) throw new Error('BatchLoader: next() after close()');
    const i = this.nextToReturn;
    if (i >= this.exhaustedAt) return null;
    this.fill();
    const p = this.inflight.get(i);
    if (!p) return null;
    const t0 = performance.now();
    const batch = await p.promise;
    this.statsData.waitMs += performance.now() - t0;
    this.statsData.batches++;
    this.inflight.delete(i);
    this.nextToReturn++;
    this.fill();
    return batch;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private fill(): void {
    while (!this.closed && this.nextToRequest < this.exhaustedAt && this.nextToRequest < this.nextToReturn + this.prefetch + 1) {
      const i = this.nextToRequest;
      const indices = this.plan(i);
      if (indices === null) {
        this.exhaustedAt = i;
        break;
      }
      const p = pending();
      this.inflight.set(i, p);
      this.nextToRequest++;
      const req = { batchIndex: i, indices, seed: this.options.seed };
      if (this.worker) {
        this.worker.postMessage(req);
      } else {
        // setImmediate, so preparation runs when the caller yields (e.g. awaits the GPU).
        setImmediate(() => {
          if (this.closed) return;
          try {
            p.resolve(this.source!.prepare(req));
          } catch (err) {
            p.reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      }
    }
  }

  private settle(msg: WorkerReply): void {
    const p = this.inflight.get(msg.batchIndex);
    if (!p) return;
    if ('error' in msg) p.reject(new Error(msg.error));
    else p.resolve(msg.batch);
  }

  private failAll(err: Error): void {
    for (const p of this.inflight.values()) p.reject(err);
  }
}
