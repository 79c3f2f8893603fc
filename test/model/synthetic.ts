// A fixed synthetic segmentation batch for model tests: coloured shapes (a red rectangle, a green
// disc, a blue triangle) on a grey, slightly noisy background; classes 0 (background) to 3.
export interface SyntheticBatch {
  /** [n, h, w, 3], roughly zero mean, unit scale. */
  images: Float32Array;
  /** [n, h, w] class ids. */
  labels: Int32Array;
  n: number;
  h: number;
  w: number;
}

export function shapesBatch(n: number, h: number, w: number, seed = 1): SyntheticBatch {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const images = new Float32Array(n * h * w * 3);
  const labels = new Int32Array(n * h * w);
  const colours = [
    [0.5, 0.5, 0.5],
    [0.9, 0.15, 0.1],
    [0.1, 0.8, 0.2],
    [0.15, 0.2, 0.9],
  ];
  for (let b = 0; b < n; b++) {
    const rx = rnd() * w * 0.5, ry = rnd() * h * 0.5, rw = w * (0.25 + 0.2 * rnd()), rh = h * (0.2 + 0.2 * rnd());
    const cx = w * (0.3 + 0.4 * rnd()), cy = h * (0.3 + 0.4 * rnd()), r = Math.min(h, w) * (0.12 + 0.1 * rnd());
    const tx = w * (0.5 + 0.3 * rnd()), ty = h * (0.55 + 0.3 * rnd()), ts = Math.min(h, w) * 0.3;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let c = 0;
        if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) c = 1;
        if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) c = 2;
        if (y < ty && y > ty - ts && Math.abs(x - tx) < (ts - (ty - y)) / 2 + 0.5 && ty - y < ts) c = 3;
        const i = (b * h + y) * w + x;
        labels[i] = c;
        for (let k = 0; k < 3; k++) images[3 * i + k] = (colours[c][k] + 0.08 * (rnd() - 0.5) - 0.45) / 0.25;
      }
    }
  }
  return { images, labels, n, h, w };
}
