// How a grid's runs are laid out in its figure (experiment.ts gives each grid one): which panel and
// which line a run is drawn in, named from its settings. A new grid needs only these few lines,
// e.g. panels per acquisition (Fig. 4, 13), lines per stage-1 loss in one panel (Fig. 12a), panels
// per superpixel setting (Fig. 8); grid-figures.ts does the rest.
import type { RunConfig } from '../al/config.js';

/** A run as a layout sees it: its method name (a table row) and its whole configuration. */
export interface LaidOutRun {
  method: string;
  config: RunConfig;
}

/** One way of splitting runs: the name of the group a run belongs to, and what the groups are of. */
export interface Facet {
  /** The legend's title (series) or what the panels are (said in the caption). */
  title: string;
  of: (run: LaidOutRun) => string;
}

export interface FigureLayout {
  /** A panel per value, in the order the grid lists its runs; absent: one panel. */
  panel?: Facet;
  /** A line per value, with its band over seeds. */
  series: Facet;
  /** Which model's mIoU: 'final' (stage 2 where it ran; the default) or 'stage1'. */
  model?: 'final' | 'stage1';
}

/** The paper's names of the acquisition functions; others are shown as they are spelled in the options. */
const ACQUISITION_NAMES: Record<string, string> = { random: 'Random', bvsb: 'BvSB', classbal: 'ClassBal', pixbal: 'PixBal', margin: 'Margin', knn: 'KNN', entropy: 'Entropy', bald: 'BALD' };

export const BY_ACQUISITION: Facet = { title: 'acquisition', of: ({ config }) => ACQUISITION_NAMES[config.acquisition] ?? config.acquisition };
export const BY_LABELLING: Facet = { title: 'labels', of: ({ config }) => (config.labelling === 'multi' ? 'multi-class' : 'dominant') };
export const BY_METHOD: Facet = { title: 'method', of: ({ method }) => method };
export const BY_BUDGET: Facet = { title: 'budget', of: ({ config }) => `${config.budget} clicks a round` };

/** A grid that gives no layout: one panel, a line per method. */
export const DEFAULT_LAYOUT: FigureLayout = { series: BY_METHOD };

/** Fig. 4's layout (and every grid comparing labellings): a panel per acquisition, multi-class vs dominant in each. */
export const LABELLING_BY_ACQUISITION: FigureLayout = { panel: BY_ACQUISITION, series: BY_LABELLING };
