// Suites beyond the engine's own, in the order `npm run bench` runs them.
import { alSuite } from './al.js';
import { convSuite } from './conv.js';
import { methodSuite } from './method.js';
import { modelSuite } from './model.js';
import { roundSuite } from './round.js';
import type { BenchContext, BenchRow } from './harness.js';

export const SUITES: [string, (c: BenchContext) => Promise<BenchRow[]>][] = [
  ['conv', convSuite],
  ['model', modelSuite],
  ['al', alSuite],
  ['method', methodSuite],
  ['round', roundSuite],
];
