// Appearance of the synthetic scene: each painted object gets a material (base colour drawn from its
// class's range + a texture kind). Class colour ranges overlap on purpose (grey road, grey
// sidewalk, grey buildings, grey cars; green vegetation and green terrain; clothes of any colour),
// so colour alone cannot tell the classes apart; texture and context can.
import type { Rng } from './rng.js';

export type TextureKind = 'smooth' | 'grain' | 'tiles' | 'windows' | 'bricks' | 'leaves' | 'grass' | 'sky' | 'glass';

export interface Material {
  base: [number, number, number];
  /** Second colour: window glass, mortar, dark leaf spots, ... */
  accent: [number, number, number];
  texture: TextureKind;
  /** Texture strength in grey levels. */
  amp: number;
  /** Pattern period in pixels (tiles, windows, bricks). */
  period: [number, number];
  /** Per-object offset into the shared noise fields, so two neighbours of one class differ. */
  phase: [number, number];
}

export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const hh = (((h % 360) + 360) % 360) / 60;
  const c = v * s;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  const m = v - c;
  const [r, g, b] =
    hh < 1 ? [c, x, 0] : hh < 2 ? [x, c, 0] : hh < 3 ? [0, c, x] : hh < 4 ? [0, x, c] : hh < 5 ? [x, 0, c] : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

function grey(rng: Rng, lo: number, hi: number, tint = 6): [number, number, number] {
  const v = rng.range(lo, hi);
  return [v + rng.range(-tint, tint), v + rng.range(-tint, tint), v + rng.range(-tint, tint)];
}

export type MaterialKind =
  | 'road' | 'marking' | 'sidewalk' | 'building' | 'wall' | 'fence' | 'pole' | 'lightBox' | 'lamp'
  | 'signFace' | 'signBack' | 'vegetation' | 'trunk' | 'terrain' | 'sky' | 'skin' | 'clothes'
  | 'carBody' | 'carGlass' | 'tyre' | 'bicycle' | 'clutter' | 'ego';

/** Draws a material for one object of the given kind. */
export function drawMaterial(rng: Rng, kind: MaterialKind): Material {
  const m: Material = {
    base: [128, 128, 128],
    accent: [40, 40, 40],
    texture: 'smooth',
    amp: 6,
    period: [8, 8],
    phase: [rng.int(4096), rng.int(4096)],
  };
  switch (kind) {
    case 'road':
      m.base = grey(rng, 70, 135, 5);
      m.texture = 'grain';
      m.amp = rng.range(8, 16);
      break;
    case 'marking':
      m.base = grey(rng, 170, 230, 8);
      m.texture = 'grain';
      m.amp = 8;
      break;
    case 'sidewalk': {
      m.base = rng.chance(0.6) ? grey(rng, 100, 175, 8) : hsvToRgb(rng.range(0, 35), rng.range(0.15, 0.4), rng.range(0.45, 0.7));
      m.texture = 'tiles';
      m.amp = rng.range(5, 10);
      const p = rng.intIn(5, 10);
      m.period = [p, p + rng.intIn(-1, 2)];
      break;
    }
    case 'building': {
      const style = rng.int(4);
      m.base =
        style === 0 ? grey(rng, 60, 200, 6)
        : style === 1 ? hsvToRgb(rng.range(20, 45), rng.range(0.15, 0.35), rng.range(0.55, 0.85))
        : style === 2 ? hsvToRgb(rng.range(0, 20), rng.range(0.35, 0.6), rng.range(0.35, 0.6))
        : hsvToRgb(rng.range(0, 360), rng.range(0.05, 0.25), rng.range(0.5, 0.9));
      m.texture = 'windows';
      m.accent = rng.chance(0.5) ? grey(rng, 25, 70, 4) : hsvToRgb(rng.range(190, 230), rng.range(0.2, 0.5), rng.range(0.2, 0.45));
      m.amp = rng.range(4, 10);
      m.period = [rng.intIn(7, 14), rng.intIn(9, 16)];
      break;
    }
    case 'wall':
      m.base = rng.chance(0.5) ? grey(rng, 90, 190, 6) : hsvToRgb(rng.range(10, 40), rng.range(0.2, 0.5), rng.range(0.45, 0.75));
      m.texture = rng.chance(0.6) ? 'bricks' : 'grain';
      m.accent = grey(rng, 150, 210, 4);
      m.amp = rng.range(5, 12);
      m.period = [rng.intIn(5, 8), rng.intIn(3, 4)];
      break;
    case 'fence':
      m.base = rng.chance(0.5) ? grey(rng, 70, 170, 6) : hsvToRgb(rng.range(15, 35), rng.range(0.3, 0.6), rng.range(0.3, 0.6));
      m.texture = 'grain';
      m.amp = 6;
      break;
    case 'pole':
      m.base = rng.chance(0.7) ? grey(rng, 70, 160, 4) : hsvToRgb(rng.range(90, 150), rng.range(0.3, 0.6), rng.range(0.2, 0.4));
      m.texture = 'smooth';
      m.amp = 5;
      break;
    case 'lightBox':
      m.base = grey(rng, 20, 60, 4);
      m.texture = 'smooth';
      break;
    case 'lamp':
      m.base = rng.pick([[230, 40, 30], [240, 190, 30], [40, 220, 90]] as [number, number, number][]);
      m.texture = 'smooth';
      m.amp = 10;
      break;
    case 'signFace':
      m.base = rng.pick([[200, 30, 35], [30, 70, 170], [230, 200, 40], [235, 235, 235]] as [number, number, number][]);
      m.accent = [240, 240, 240];
      m.texture = 'smooth';
      break;
    case 'signBack':
      m.base = grey(rng, 110, 170, 3);
      m.texture = 'smooth';
      break;
    case 'vegetation':
      m.base = hsvToRgb(rng.range(65, 140), rng.range(0.3, 0.75), rng.range(0.2, 0.55));
      m.accent = hsvToRgb(rng.range(60, 120), rng.range(0.4, 0.8), rng.range(0.05, 0.2));
      m.texture = 'leaves';
      m.amp = rng.range(20, 40);
      break;
    case 'trunk':
      m.base = hsvToRgb(rng.range(15, 35), rng.range(0.3, 0.6), rng.range(0.2, 0.4));
      m.texture = 'grain';
      m.amp = 8;
      break;
    case 'terrain':
      m.base = hsvToRgb(rng.range(40, 110), rng.range(0.2, 0.6), rng.range(0.3, 0.65));
      m.texture = 'grass';
      m.amp = rng.range(8, 16);
      break;
    case 'sky':
      m.base = rng.chance(0.6) ? hsvToRgb(rng.range(195, 220), rng.range(0.2, 0.55), rng.range(0.7, 0.95)) : grey(rng, 170, 230, 5);
      m.accent = grey(rng, 215, 250, 3);
      m.texture = 'sky';
      m.amp = rng.range(10, 30);
      break;
    case 'skin':
      m.base = hsvToRgb(rng.range(15, 35), rng.range(0.25, 0.6), rng.range(0.35, 0.9));
      m.texture = 'smooth';
      break;
    case 'clothes':
      m.base = rng.chance(0.4) ? grey(rng, 20, 200, 6) : hsvToRgb(rng.range(0, 360), rng.range(0.3, 0.9), rng.range(0.2, 0.85));
      m.texture = 'grain';
      m.amp = 5;
      break;
    case 'carBody':
      m.base = rng.chance(0.55) ? grey(rng, 15, 235, 4) : hsvToRgb(rng.range(0, 360), rng.range(0.4, 0.9), rng.range(0.25, 0.8));
      m.texture = 'smooth';
      m.amp = 14;
      break;
    case 'carGlass':
      m.base = grey(rng, 20, 60, 6);
      m.accent = grey(rng, 120, 180, 4);
      m.texture = 'glass';
      m.amp = 10;
      break;
    case 'tyre':
      m.base = grey(rng, 10, 35, 2);
      m.texture = 'smooth';
      break;
    case 'bicycle':
      m.base = rng.chance(0.6) ? grey(rng, 10, 60, 3) : hsvToRgb(rng.range(0, 360), rng.range(0.5, 0.9), rng.range(0.3, 0.7));
      m.texture = 'smooth';
      break;
    case 'clutter': {
      // Unlabelled clutter borrows the look of a random labelled class: void is not a colour.
      const borrowed: MaterialKind = rng.pick(['building', 'wall', 'fence', 'carBody', 'clothes', 'terrain', 'pole']);
      return { ...drawMaterial(rng, borrowed), phase: [rng.int(4096), rng.int(4096)] };
    }
    case 'ego':
      m.base = grey(rng, 15, 60, 4);
      m.accent = grey(rng, 90, 160, 4);
      m.texture = 'glass';
      m.amp = 12;
      break;
  }
  return m;
}
