// Monte-Carlo dropout (ForwardOptions.mcDropout, for BALD): `predict` with a mask stream runs batch
// norm on its running statistics and dropout on, drawing from that stream only. Checked bit for
// bit against the same network put in that state by hand (every module in eval mode but the
// dropout layers), and against the plain eval forward when dropout has p = 0.
import { describe, expect, it } from 'vitest';
import { read } from '../../src/engine/io.js';
import { noGrad } from '../../src/engine/autograd.js';
import { Generator } from '../../src/engine/random.js';
import type { DeepLabV3Plus } from '../../src/model/deeplabv3plus.js';
import { Dropout } from '../../src/model/layers.js';
import { createModel } from '../../src/model/presets.js';
import { useEngine } from '../helpers.js';

useEngine();

const image = (n = 1) => new Generator(4).normal([n, 37, 53, 3]);

async function logits(model: DeepLabV3Plus, options: Parameters<DeepLabV3Plus['predict']>[1] = {}): Promise<Float32Array> {
  const out = model.predict(image(), { features: false, ...options });
  return (await read(out.logits)) as Float32Array;
}

async function bnState(model: DeepLabV3Plus): Promise<number[]> {
  const out: number[] = [];
  for (const [, t] of model.namedBuffers()) out.push(...(await read(t)));
  return out;
}

describe('Monte-Carlo dropout forward', () => {
  it('drops with the given stream while BN stays in eval mode, as the network set so by hand', async () => {
    const model = createModel('tiny', { numClasses: 5, undefinedClass: true, seed: 2 });
    model.eval();
    const plain = await logits(model);
    const bn = await bnState(model);
    const own = { ...model.dropoutRng };
    const mc = await logits(model, { mcDropout: { seed: 77, position: 0 } });
    const again = await logits(model, { mcDropout: { seed: 77, position: 0 } });
    const stream = { seed: 77, position: 0 };
    const first = await logits(model, { mcDropout: stream });
    const second = await logits(model, { mcDropout: stream });
    expect(stream.position).toBeGreaterThan(0);
    expect(Array.from(again)).toEqual(Array.from(mc));
    expect(Array.from(first)).toEqual(Array.from(mc));
    expect(Array.from(second)).not.toEqual(Array.from(first));
    expect(Array.from(mc)).not.toEqual(Array.from(plain));
    // Nothing else moved: the plain forward, the BN statistics, the model's own stream and mode.
    expect(Array.from(await logits(model))).toEqual(Array.from(plain));
    expect(await bnState(model)).toEqual(bn);
    expect(model.dropoutRng).toEqual(own);
    expect(model.training).toBe(false);
    expect(model.namedModules().some(([, m]) => m instanceof Dropout && m.mc !== null)).toBe(false);

    // By hand: eval mode, then dropout layers alone in training mode, on the model's own stream
    // set to the same seed.
    const drops = model.namedModules().flatMap(([, m]) => (m instanceof Dropout ? [m] : []));
    expect(drops.length).toBeGreaterThan(0);
    for (const d of drops) d.training = true;
    Object.assign(model.dropoutRng, { seed: 77, position: 0 });
    const byHand = (await read(noGrad(() => model.forward(image(), { features: false })).logits)) as Float32Array;
    expect(Array.from(byHand)).toEqual(Array.from(mc));
    model.dispose();
  });

  it('with dropout p = 0 it is the eval forward, bit for bit (BN on running statistics)', async () => {
    const model = createModel('tiny', { numClasses: 5, seed: 3, overrides: { dropout: 0 } });
    const plain = await logits(model);
    expect(Array.from(await logits(model, { mcDropout: { seed: 5, position: 0 } }))).toEqual(Array.from(plain));
    // In training mode BN would use the batch's statistics (of two images: one is too few for the
    // pooling branch): a different output.
    const pair = async () => (await read(model.predict(image(2), { features: false, mcDropout: { seed: 5, position: 0 } }).logits)) as Float32Array;
    const evalPair = await pair();
    model.train();
    const train = (await read(noGrad(() => model.forward(image(2), { features: false })).logits)) as Float32Array;
    expect(Array.from(train)).not.toEqual(Array.from(evalPair));
    model.dispose();
  });
});
