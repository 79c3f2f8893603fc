// Dawn's Node bindings resolve promises (mapAsync, onSubmittedWorkDone) by re-scheduling a
// `setImmediate` tick until the GPU answers, which spins one of our two cores at 100% while a
// software adapter (lavapipe) needs both to run the shaders. While the engine waits on the GPU we
// make each of those ticks sleep briefly first (Atomics.wait blocks the thread without burning CPU).
// Outside GPU waits `setImmediate` behaves as usual.

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let waiters = 0;
let installed = false;
/** Microseconds each tick sleeps while a GPU wait is pending; 0 restores Dawn's spinning. */
let yieldMicros = 200;

export function setPollYield(micros: number): void {
  yieldMicros = Math.max(0, micros);
}

export function installPolitePolling(): void {
  if (installed) return;
  installed = true;
  const real = globalThis.setImmediate;
  const polite = function (this: unknown, cb: (...a: unknown[]) => void, ...args: unknown[]) {
    if (waiters > 0 && yieldMicros > 0) Atomics.wait(sleepCell, 0, 0, yieldMicros / 1000);
    return real(cb, ...args);
  };
  Object.assign(polite, real);
  globalThis.setImmediate = polite as typeof setImmediate;
}

/** Awaits a GPU-side promise while letting the adapter have the CPU. */
export async function gpuWait<T>(p: Promise<T>): Promise<T> {
  waiters++;
  try {
    return await p;
  } finally {
    waiters--;
  }
}
