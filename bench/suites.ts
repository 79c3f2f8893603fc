// Suites beyond the engine's own, in the order `npm run bench` runs them.
import type { BenchContext, BenchRow } from './harness.js';

export const SUITES: [string, (c: BenchContext) => Promise<BenchRow[]>][] = [];
