// The answers a cost table is made of (cost-table.ts), from a user study (its regions carry their
// truth) or from a run with a human oracle (every round's answers; the truth, where given, read
// from a labelled copy of the run's training images):
//   --truth <dir> for a folder run: <dir>/<image name>.png, 8-bit class indices of classes.json,
//                 255 ignored (the folder dataset's val/labels convention, and what
//                 `export --format png` writes)
//   --truth <dir> for a Cityscapes, VOC or synthetic run: a dataset of the same layout whose train
//                 split holds the run's images, with their labels
// Every image the run asked about must be there, its labels of the image's size.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type RunConfig } from '../al/config.js';
import type { Dataset } from '../data/dataset.js';
import { folderReader } from '../data/folder.js';
import { openDataset } from '../data/open-dataset.js';
import { defaultSuperpixelCacheDir, loadRegions } from '../superpixels/cache.js';
import { answerClicks, queryRounds, readAnswers, readQueries } from '../run/human/queries.js';
import { openRunDataset } from '../run/run-data.js';
import { readJson, RunDirectory } from '../run/run-directory.js';
import type { CostRecord } from './cost-table.js';
import { regionTruths, type RegionTruth } from './region-truth.js';
import { readStudy, studyFile } from './study.js';
import { readStudyAnswers } from './study-book.js';

export interface CostSource {
  records: CostRecord[];
  /** What was read, for the report's first line. */
  what: string;
  /** Whether each record has its truth. */
  truth: boolean;
}

export function studyRecords(dir: string): CostSource {
  const study = readStudy(dir);
  const files = readStudyAnswers(dir);
  const records: CostRecord[] = [];
  for (const f of files) {
    for (const [key, a] of Object.entries(f.answers)) {
      const region = study.regions[Number(key)];
      if (!region) throw new Error(`${join(dir, 'answers', `study-${f.annotator}.json`)}: answer to query ${key}, but the study has queries 0..${study.regions.length - 1}`);
      records.push({ annotator: f.annotator, mode: a.mode, answer: a.classes, unsure: a.unsure, seconds: a.seconds, clicks: answerClicks(a, a.mode), truth: { classes: region.truth, dominant: region.dominant } });
    }
  }
  const { kind, root, split } = study.dataset;
  return { records, truth: true, what: `user study of ${study.regions.length} regions (${study.perGroup} with each of 1, 2, 3 classes) of ${kind} ${root} (${split}), ${files.length} annotator${files.length === 1 ? '' : 's'}` };
}

/** The ground truth of a run's training image `image`, from `--truth`. */
function truthReader(cfg: RunConfig, train: Dataset, truthRoot: string): (image: number) => { label: Uint8Array; width: number; height: number; file: string } {
  if (cfg.dataset === 'folder') {
    const reader = folderReader(train.numClasses);
    return (image) => {
      const file = join(truthRoot, `${train.samples[image]!.id}.png`);
      const { width, height, data } = reader.readLabel(file);
      return { label: data, width, height, file };
    };
  }
  const truth = openDataset(cfg.dataset, truthRoot, 'train');
  if (truth.samples.length !== train.samples.length) {
    throw new Error(`--truth ${truthRoot}: its train split has ${truth.samples.length} images, the run's ${train.samples.length}: not the run's images`);
  }
  const byId = new Map(truth.samples.map((s) => [s.id, s]));
  return (image) => {
    const id = train.samples[image]!.id;
    const sample = byId.get(id);
    if (!sample) throw new Error(`--truth ${truthRoot}: no image ${id} in its train split`);
    const loaded = truth.load(sample);
    return { label: loaded.label, width: loaded.width, height: loaded.height, file: sample.labelPath };
  };
}

export function runRecords(dir: string, truthRoot?: string): CostSource {
  const run = new RunDirectory(dir);
  if (!existsSync(run.config)) throw new Error(`${dir}: neither a study (study.json) nor a run directory (config.json)`);
  const rounds = queryRounds(dir);
  if (rounds.length === 0) throw new Error(`${dir}: no queries (queries/round-<r>.json): the annotation report reads the answers of a run with --oracle human, or a study (annotate --study)`);
  const cfg: RunConfig = { ...DEFAULT_CONFIG, ...readJson<Partial<RunConfig>>(run.config) };
  let truthOf: ((image: number, region: number) => RegionTruth) | null = null;
  if (truthRoot !== undefined) {
    if (!existsSync(truthRoot)) throw new Error(`--truth ${truthRoot}: no such folder`);
    const train = openRunDataset(cfg, 'train');
    const read = truthReader(cfg, train, truthRoot);
    const cacheDir = defaultSuperpixelCacheDir(train, cfg.superpixels);
    const cache = new Map<number, RegionTruth[]>();
    truthOf = (image, region) => {
      let t = cache.get(image);
      if (!t) {
        const { map } = loadRegions(train, train.samples[image]!, cacheDir, cfg.superpixels);
        const label = read(image);
        if (label.width !== map.width || label.height !== map.height) {
          throw new Error(`${label.file}: ${label.width}x${label.height} labels for the run's ${map.width}x${map.height} image ${train.samples[image]!.id}: not the run's images`);
        }
        t = regionTruths(map.ids, map.count, label.label, train.numClasses);
        cache.set(image, t);
      }
      return t[region]!;
    };
  }
  const records: CostRecord[] = [];
  for (const round of rounds) {
    const q = readQueries(dir, round);
    const a = readAnswers(dir, round);
    for (const query of q.queries) {
      const ans = a.answers[String(query.id)];
      if (!ans) continue;
      const t = truthOf ? truthOf(query.image, query.region) : null;
      records.push({ annotator: 'annotator', mode: q.mode, answer: ans.classes, unsure: ans.unsure, seconds: ans.seconds, clicks: answerClicks(ans, q.mode), truth: t ? { classes: t.classes, dominant: t.dominant } : null });
    }
  }
  return { records, truth: truthOf !== null, what: `run ${dir}, rounds ${rounds.join(', ')}${truthRoot ? `, truth from ${truthRoot}` : ''}` };
}

/** The records of a study or a run folder. */
export function costRecords(dir: string, truthRoot?: string): CostSource {
  if (existsSync(studyFile(dir))) {
    if (truthRoot !== undefined) throw new Error(`${dir} is a study: its regions carry their ground truth (${studyFile(dir)}); drop --truth`);
    return studyRecords(dir);
  }
  return runRecords(dir, truthRoot);
}
