// Turns the painted label/material layers into an RGB image: per-material texture, then global
// lighting (gain, colour cast, vertical gradient), cast shadows and sensor noise. Lighting varies
// per image, so the absolute colour of a class drifts between images as it does between real frames.
import type { Rng } from './rng.js';
import type { SceneCanvas } from './synthetic-canvas.js';
import type { Material } from './synthetic-materials.js';

/** Smooth value noise in [-1, 1] with features about `cell` pixels wide. */
export function valueNoise(rng: Rng, width: number, height: number, cell: number): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.range(-1, 1);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = y / cell;
    const gy = Math.floor(fy);
    let ty = fy - gy;
    ty = ty * ty * (3 - 2 * ty);
    for (let x = 0; x < width; x++) {
      const fx = x / cell;
      const gx = Math.floor(fx);
      let tx = fx - gx;
      tx = tx * tx * (3 - 2 * tx);
      const a = grid[gy * gw + gx]!;
      const b = grid[gy * gw + gx + 1]!;
      const c = grid[(gy + 1) * gw + gx]!;
      const d = grid[(gy + 1) * gw + gx + 1]!;
      out[y * width + x] = (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
    }
  }
  return out;
}

export interface Lighting {
  gain: number;
  cast: [number, number, number];
  /** Brightness change from top to bottom of the image, as a fraction. */
  gradient: number;
  noiseSigma: number;
}

export function drawLighting(rng: Rng): Lighting {
  return {
    gain: rng.range(0.65, 1.25),
    cast: [rng.range(0.92, 1.08), rng.range(0.95, 1.05), rng.range(0.9, 1.1)],
    gradient: rng.range(-0.25, 0.15),
    noiseSigma: rng.range(2, 6),
  };
}

export function renderScene(rng: Rng, canvas: SceneCanvas, materials: readonly Material[], light: Lighting, horizon: number): Uint8Array {
  const { width: W, height: H } = canvas;
  const low = valueNoise(rng, W, H, 20);
  const mid = valueNoise(rng, W, H, 5);
  const hi = valueNoise(rng, W, H, 1.7);
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const rowGain = light.gain * (1 + light.gradient * (y / H - 0.5));
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const m = materials[canvas.material[i]!]!;
      const xx = (x + m.phase[0]) % W;
      const yy = (y + m.phase[1]) % H;
      const j = yy * W + xx;
      let [r, g, b] = m.base;
      let lum = 0;
      let mul = 1;
      const px = m.period[0];
      const py = m.period[1];
      switch (m.texture) {
        case 'smooth':
          lum = m.amp * low[j]!;
          break;
        case 'grain':
          lum = m.amp * (0.4 * mid[j]! + 0.9 * hi[j]!);
          break;
        case 'tiles':
          lum = m.amp * 0.7 * hi[j]!;
          if ((x + m.phase[0]) % px === 0 || (y + m.phase[1]) % py === 0) mul = 0.72;
          break;
        case 'windows': {
          const wx = (x + m.phase[0]) % px;
          const wy = (y + m.phase[1]) % py;
          if (wx >= 2 && wx < px - 1 && wy >= 2 && wy < py - 2) {
            [r, g, b] = m.accent;
            lum = 18 * low[j]! + 4 * hi[j]!;
          } else {
            lum = m.amp * (0.6 * hi[j]! + 0.5 * low[j]!);
          }
          break;
        }
        case 'bricks': {
          const row = Math.floor((y + m.phase[1]) / py);
          const off = row % 2 === 1 ? px >> 1 : 0;
          if ((y + m.phase[1]) % py === 0 || (x + m.phase[0] + off) % px === 0) [r, g, b] = m.accent;
          lum = m.amp * hi[j]!;
          break;
        }
        case 'leaves': {
          const t = mid[j]! + 0.7 * hi[j]!;
          if (t < -0.45) [r, g, b] = m.accent;
          lum = m.amp * t;
          break;
        }
        case 'grass':
          lum = m.amp * (0.6 * low[j]! + 0.6 * hi[j]!);
          r += 6 * low[j]!;
          break;
        case 'sky': {
          // Hazier towards the horizon, clouds from the low-frequency field.
          const toHorizon = Math.min(1, Math.max(0, y / Math.max(1, horizon)));
          const cloud = Math.max(0, low[j]!) * (m.amp / 30);
          const k = Math.min(1, 0.5 * toHorizon * toHorizon + cloud);
          r += (m.accent[0] - r) * k;
          g += (m.accent[1] - g) * k;
          b += (m.accent[2] - b) * k;
          lum = 2 * hi[j]!;
          break;
        }
        case 'glass': {
          const streak = (x + y + m.phase[0]) % 23 < 4 ? 0.45 : 0;
          r += (m.accent[0] - r) * streak;
          g += (m.accent[1] - g) * streak;
          b += (m.accent[2] - b) * streak;
          lum = m.amp * low[j]!;
          break;
        }
      }
      const s = canvas.shade[i]! * rowGain * mul;
      const n = light.noiseSigma;
      out[3 * i] = clamp255((r + lum) * s * light.cast[0] + n * rng.normal());
      out[3 * i + 1] = clamp255((g + lum) * s * light.cast[1] + n * rng.normal());
      out[3 * i + 2] = clamp255((b + lum) * s * light.cast[2] + n * rng.normal());
    }
  }
  return out;
}

function clamp255(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
