// `alseg info`: the adapter, the limits alseg requested and the features it uses.
import type { CommandModule } from 'yargs';
import { convTileSet } from '../engine/ops/conv.js';
import { destroyEngine, initEngine } from '../engine/runtime.js';

export const infoCommand: CommandModule<object, { json: boolean }> = {
  command: 'info',
  describe: 'print the WebGPU adapter, the limits alseg requested and the features it uses',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' }),
  handler: async (argv) => {
    const e = await initEngine();
    const report = {
      adapter: e.summary,
      requestedLimits: e.limits,
      features: e.features,
      dawnFeatures: e.dawnFeatures,
      flushEvery: e.queue.flushEvery,
      kernels: e.tuning,
      subgroupSizes: e.features.includes('subgroups') ? [e.adapter.info.subgroupMinSize, e.adapter.info.subgroupMaxSize] : null,
      convTiles: convTileSet(),
    };
    await destroyEngine();
    if (argv.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const a = e.summary;
    console.log(`adapter      ${a.description || a.device}`);
    console.log(`vendor       ${a.vendor}`);
    console.log(`architecture ${a.architecture}`);
    console.log(`device       ${a.device}`);
    console.log(`backend      ${a.backend}`);
    console.log(`software     ${a.isSoftware ? 'yes (CPU rasteriser: expect ~100x slower than a GPU)' : 'no'}`);
    console.log(`requested limits${process.env.ALSEG_MAX_BINDING_MIB ? ` (storage bindings capped by ALSEG_MAX_BINDING_MIB=${process.env.ALSEG_MAX_BINDING_MIB})` : ''}`);
    for (const [k, v] of Object.entries(e.limits)) console.log(`  ${k.padEnd(36)} ${v}`);
    console.log(`features     ${e.features.length ? e.features.join(', ') : '(none)'}`);
    console.log(`dawn toggles ${e.dawnFeatures.length ? `${e.dawnFeatures.join(', ')} (ALSEG_DAWN_FEATURES)` : '(none; ALSEG_DAWN_FEATURES turns on the allowed ones)'}`);
    const t = e.tuning;
    console.log(`subgroups    ${e.features.includes('subgroups') ? `${e.adapter.info.subgroupMinSize}-${e.adapter.info.subgroupMaxSize} lanes` : '(none)'}`);
    console.log(`kernels      matmul ${t.matmul}${t.matmul === 'subgroup8' ? ` (${t.matmulTm} rows/lane)` : ''}, conv ${t.conv}, conv tiles ${report.convTiles}; ${e.queue.flushEvery} dispatches per submit`);
    console.log(`  because    ${t.reason}; conv tiles for a ${a.isSoftware ? 'software' : 'hardware'} adapter`);
  },
};
