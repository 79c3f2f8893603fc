// Suites beyond the engine's own, in the order `npm run bench` runs them.
import { alSuite } from './al.js';
import { convSuite } from './conv.js';
import { modelSuite } from './model.js';
import type { BenchContext, BenchRow } from './harness.js';

export const SUITES: [string, (c: BenchContext) => Promise<BenchRow[]>][] = [
  ['conv', convSuite],
  ['model', modelSuite],
  ['al', alSuite],
];
