// Procedural street scene: a perspective street (road to a vanishing point, sidewalks, building
// facades), vegetation, terrain, walls, fences, poles with signs and lights, then cars, people,
// bicycles with riders and unlabelled clutter, painted far to near so that nearer objects occlude
// farther ones. Sizes scale with distance below the horizon, which is what makes thin and small
// classes (poles, signs, lights, bicycles, far people) rare in pixels, as in Cityscapes.
import { Rng } from './rng.js';
import { CITYSCAPES_TRAIN_TO_LABEL, TRAIN_ID, type CityscapesClass } from './cityscapes-labels.js';
import type { GreyImage, RgbImage } from './png.js';
import { SceneCanvas, type Point } from './synthetic-canvas.js';
import { drawMaterial, type Material, type MaterialKind } from './synthetic-materials.js';
import { drawLighting, renderScene } from './synthetic-render.js';

/** Cityscapes label ids of the void kinds the generator paints (all map to train id 255). */
const VOID_UNLABELED = 0;
const VOID_EGO_VEHICLE = 1;
const VOID_STATIC = 4;

function lid(name: CityscapesClass): number {
  return CITYSCAPES_TRAIN_TO_LABEL[TRAIN_ID[name]]!;
}

export interface SceneSize {
  height: number;
  width: number;
}

export interface Scene {
  image: RgbImage;
  /** Cityscapes label ids (0..33), as stored in *_gtFine_labelIds.png. */
  labelIds: GreyImage<Uint8Array>;
}

interface Placed {
  baseY: number;
  draw: () => void;
}

export function generateScene(seed: number, size: SceneSize): Scene {
  const rng = new Rng(seed);
  const W = size.width;
  const H = size.height;
  const c = new SceneCanvas(W, H);
  const materials: Material[] = [];
  const mat = (kind: MaterialKind): number => {
    materials.push(drawMaterial(rng, kind));
    return materials.length - 1;
  };

  const horizon = H * rng.range(0.36, 0.5);
  const vx = W * rng.range(0.3, 0.7);
  const below = H - horizon;
  /** 0 at the horizon, 1 at the bottom row: the perspective scale of an object standing at y. */
  const depthScale = (y: number): number => Math.max(0.02, (y - horizon) / below);

  c.fillRect(0, 0, W, H, lid('sky'), mat('sky'));

  // Where facades meet the ground, falling away from the vanishing point on both sides.
  const dropLeft = below * rng.range(0.15, 0.55);
  const dropRight = below * rng.range(0.15, 0.55);
  const groundLine = (x: number): number =>
    x < vx ? horizon + (dropLeft * (vx - x)) / vx : horizon + (dropRight * (x - vx)) / (W - vx);

  // Road edges run from near the vanishing point to the bottom corners.
  const roadHalfFar = W * 0.01;
  const roadLeftBottom = W * rng.range(-0.35, 0.2);
  const roadRightBottom = W * rng.range(0.8, 1.35);
  const roadLeft = (y: number): number => vx - roadHalfFar + (roadLeftBottom - vx + roadHalfFar) * depthScale(y);
  const roadRight = (y: number): number => vx + roadHalfFar + (roadRightBottom - vx - roadHalfFar) * depthScale(y);

  // Facades with perspective rooflines: farther (nearer vx) columns reach less high.
  let bx = -rng.range(0, W * 0.1);
  const farthest = Math.max(vx, W - vx);
  while (bx < W) {
    const w = W * rng.range(0.07, 0.3);
    if (rng.chance(0.12)) {
      bx += w * 0.6;
      continue;
    }
    const height = H * rng.range(0.25, 0.75);
    const m = mat('building');
    for (let x = Math.max(0, Math.floor(bx)); x < Math.min(W, bx + w); x++) {
      const near = 0.3 + 0.7 * (Math.abs(x - vx) / farthest);
      c.fillRect(x, horizon - height * near, x + 1, groundLine(x) + 1, lid('building'), m);
    }
    bx += w;
  }

  // Ground: sidewalks everywhere below the facades, then terrain strips, then the road on top.
  const sideLeft = mat('sidewalk');
  const sideRight = mat('sidewalk');
  for (let x = 0; x < W; x++) {
    c.fillRect(x, groundLine(x), x + 1, H, lid('sidewalk'), x < vx ? sideLeft : sideRight);
  }
  for (const left of [true, false]) {
    if (!rng.chance(0.65)) continue;
    const m = mat('terrain');
    const [lo, hi] = left ? [0, vx] : [vx, W];
    const a = rng.range(lo, hi);
    const b = Math.min(hi, a + rng.range(0.2, 0.8) * (hi - lo));
    const frac = rng.range(0.3, 0.8);
    for (let x = Math.floor(a); x < b; x++) {
      const g = groundLine(x);
      c.fillRect(x, g, x + 1, g + frac * (g - horizon) + 2, lid('terrain'), m);
    }
  }
  c.fillPolygon(
    [[vx - roadHalfFar, horizon], [vx + roadHalfFar, horizon], [roadRightBottom, H], [roadLeftBottom, H]],
    lid('road'),
    mat('road'),
  );
  if (rng.chance(0.7)) {
    const m = mat('marking');
    const laneX = (y: number): number => vx + (W * rng.range(-0.05, 0.05) + (roadLeftBottom + roadRightBottom) / 2 - vx) * depthScale(y);
    const dash = rng.range(0.3, 0.6);
    for (let s = 0; s < 12; s++) {
      const t0 = (s + 0.1) / 12;
      const t1 = t0 + dash / 12;
      const y0 = horizon + below * t0 * t0;
      const y1 = horizon + below * t1 * t1;
      c.strokeLine(laneX(y0), y0, laneX(y1), y1, 0.5 + 3 * depthScale(y1), lid('road'), m);
    }
  }
  for (let s = rng.intIn(0, 2); s > 0; s--) {
    // A building's shadow across sidewalk and road: a label-free darkening that crosses classes.
    const y0 = rng.range(horizon, H);
    const y1 = Math.min(H, y0 + rng.range(0.1, 0.4) * below);
    const x0 = rng.range(-0.2, 0.8) * W;
    const x1 = x0 + rng.range(0.2, 0.7) * W;
    c.shadePolygon([[x0, y0], [x1, y0 + rng.range(-5, 5)], [x1 + rng.range(-20, 20), y1], [x0, y1]], rng.range(0.5, 0.75));
  }

  // Walls and hedges along the building base.
  for (const left of [true, false]) {
    const [lo, hi] = left ? [0, vx] : [vx, W];
    if (rng.chance(0.55)) {
      const m = mat('wall');
      const a = rng.range(lo, hi);
      const b = Math.min(hi, a + rng.range(0.1, 0.5) * (hi - lo));
      const k = rng.range(0.15, 0.35);
      for (let x = Math.floor(a); x < b; x++) {
        const g = groundLine(x);
        c.fillRect(x, g - k * (g - horizon) - 2, x + 1, g + 1, lid('wall'), m);
      }
    }
    if (rng.chance(0.5)) {
      const m = mat('vegetation');
      const a = rng.range(lo, hi);
      const b = Math.min(hi, a + rng.range(0.1, 0.4) * (hi - lo));
      for (let x = a; x < b; x += 3) {
        const g = groundLine(x);
        const r = 0.12 * (g - horizon) + 2;
        c.fillEllipse(x, g - r * 0.3, r * rng.range(0.8, 1.3), r * rng.range(0.6, 1), lid('vegetation'), m);
      }
    }
  }

  const placed: Placed[] = [];
  /** A point on a sidewalk at height y (between the road edge and the facades). */
  const sidewalkX = (y: number, left: boolean, outward: number): number =>
    left ? roadLeft(y) - outward * depthScale(y) * W * 0.15 - 1 : roadRight(y) + outward * depthScale(y) * W * 0.15 + 1;

  for (let n = rng.intIn(1, 6); n > 0; n--) {
    const left = rng.chance(0.5);
    const y = rng.range(horizon + 0.1 * below, H - 0.05 * below);
    const x = sidewalkX(y, left, rng.range(0.1, 1.2));
    placed.push({ baseY: y, draw: () => drawTree(c, rng, mat, x, y, depthScale(y), H) });
  }
  if (rng.chance(0.6)) {
    const left = rng.chance(0.5);
    const y0 = rng.range(horizon + 0.15 * below, H);
    const y1 = Math.min(H, y0 + rng.range(0.1, 0.4) * below);
    placed.push({ baseY: y0, draw: () => drawFence(c, rng, mat, (y) => sidewalkX(y, left, 0.3), y0, y1, depthScale, below) });
  }
  for (let n = rng.intIn(1, 5); n > 0; n--) {
    const left = rng.chance(0.5);
    const y = rng.range(horizon + 0.1 * below, H - 0.02 * below);
    const x = sidewalkX(y, left, rng.range(0, 0.3));
    placed.push({ baseY: y, draw: () => drawPole(c, rng, mat, x, y, depthScale(y), below) });
  }
  for (let n = rng.intIn(1, 6); n > 0; n--) {
    const y = rng.range(horizon + 0.04 * below, horizon + 0.85 * below);
    const lo = roadLeft(y);
    const hi = roadRight(y);
    const x = rng.range(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo));
    placed.push({ baseY: y, draw: () => drawCar(c, rng, mat, x, y, depthScale(y), W) });
  }
  for (let n = rng.intIn(0, 4); n > 0; n--) {
    const y = rng.range(horizon + 0.08 * below, horizon + 0.7 * below);
    const x = rng.chance(0.8) ? sidewalkX(y, rng.chance(0.5), rng.range(0, 1)) : rng.range(roadLeft(y), roadRight(y));
    placed.push({ baseY: y, draw: () => drawPerson(c, rng, mat, x, y, (y - horizon) * rng.range(0.9, 1.3) + 3, lid('person')) });
  }
  if (rng.chance(0.45)) {
    const y = rng.range(horizon + 0.2 * below, H);
    const x = rng.chance(0.5) ? sidewalkX(y, rng.chance(0.5), 0.2) : rng.range(roadLeft(y), roadRight(y));
    placed.push({ baseY: y, draw: () => drawBicycle(c, rng, mat, x, y, y - horizon, rng.chance(0.6)) });
  }
  for (let n = rng.intIn(0, 3); n > 0; n--) {
    const y = rng.range(horizon + 0.1 * below, H);
    const x = sidewalkX(y, rng.chance(0.5), rng.range(0, 1));
    const s = depthScale(y);
    const w = (0.03 + 0.08 * rng.float()) * W * s + 2;
    const h = w * rng.range(0.6, 2);
    const m = mat('clutter');
    placed.push({ baseY: y, draw: () => (rng.chance(0.5) ? c.fillRect(x - w / 2, y - h, x + w / 2, y, VOID_STATIC, m) : c.fillEllipse(x, y - h / 2, w / 2, h / 2, VOID_STATIC, m)) });
  }
  placed.sort((a, b) => a.baseY - b.baseY);
  for (const p of placed) p.draw();

  if (rng.chance(0.6)) {
    // Ego vehicle's bonnet along the bottom, as in Cityscapes frames.
    const e = H * rng.range(0.04, 0.1);
    const m = mat('ego');
    const pts: Point[] = [];
    for (let k = 0; k <= 16; k++) {
      const x = (W * k) / 16;
      pts.push([x, H - e * (1 - 0.6 * ((x - W / 2) / (W / 2)) ** 2)]);
    }
    pts.push([W, H], [0, H]);
    c.fillPolygon(pts, VOID_EGO_VEHICLE, m);
  }
  if (rng.chance(0.7)) {
    // An unlabelled border band, like a rectified frame's edges.
    const b = rng.intIn(1, 3);
    const m = mat('ego');
    c.fillRect(0, 0, b, H, VOID_UNLABELED, m);
    c.fillRect(W - b, 0, W, H, VOID_UNLABELED, m);
  }

  const image = renderScene(rng, c, materials, drawLighting(rng), horizon);
  return { image: { width: W, height: H, data: image }, labelIds: { width: W, height: H, data: c.labelIds } };
}

type MatFn = (kind: MaterialKind) => number;

function drawTree(c: SceneCanvas, rng: Rng, mat: MatFn, x: number, y: number, s: number, H: number): void {
  const trunkH = H * 0.3 * s + 3;
  const trunkW = Math.max(1, 3.5 * s * (H / 128));
  c.fillRect(x - trunkW / 2, y - trunkH, x + trunkW / 2, y, lid('vegetation'), mat('trunk'));
  const r = H * 0.25 * s + 4;
  const m = mat('vegetation');
  const cy = y - trunkH - r * 0.4;
  for (let k = rng.intIn(4, 8); k > 0; k--) {
    c.fillEllipse(x + rng.range(-0.7, 0.7) * r, cy + rng.range(-0.6, 0.5) * r, r * rng.range(0.45, 0.8), r * rng.range(0.4, 0.7), lid('vegetation'), m);
  }
}

function drawFence(
  c: SceneCanvas, rng: Rng, mat: MatFn, xAt: (y: number) => number, y0: number, y1: number,
  depthScale: (y: number) => number, below: number,
): void {
  const m = mat('fence');
  const steps = Math.max(2, Math.round(y1 - y0));
  const height = (y: number): number => 0.35 * below * depthScale(y) + 3;
  for (const frac of [0.15, 0.9]) {
    for (let k = 0; k < steps; k++) {
      const ya = y0 + ((y1 - y0) * k) / steps;
      const yb = y0 + ((y1 - y0) * (k + 1)) / steps;
      c.strokeLine(xAt(ya), ya - frac * height(ya), xAt(yb), yb - frac * height(yb), 1 + depthScale(ya), lid('fence'), m);
    }
  }
  const gap = rng.range(2, 4);
  for (let y = y0; y < y1; y += gap * (0.5 + depthScale(y))) {
    c.strokeLine(xAt(y), y, xAt(y), y - height(y), 1, lid('fence'), m);
  }
}

function drawPole(c: SceneCanvas, rng: Rng, mat: MatFn, x: number, y: number, s: number, below: number): void {
  const h = (y - (y - below * s)) * rng.range(2.2, 3.6) + 6;
  const w = Math.max(1, 1 + 2.5 * s);
  c.fillRect(x - w / 2, y - h, x + w / 2, y, lid('pole'), mat('pole'));
  const size = 3 + 10 * s;
  if (rng.chance(0.55)) {
    const sy = y - h * rng.range(0.6, 0.8);
    const m = rng.chance(0.75) ? mat('signFace') : mat('signBack');
    const shape = rng.int(3);
    if (shape === 0) c.fillRect(x - size / 2, sy - size / 2, x + size / 2, sy + size / 2, lid('traffic sign'), m);
    else if (shape === 1) c.fillEllipse(x, sy, size / 2, size / 2, lid('traffic sign'), m);
    else c.fillPolygon([[x - size / 2, sy + size / 2], [x + size / 2, sy + size / 2], [x, sy - size / 2]], lid('traffic sign'), m);
  }
  if (rng.chance(0.35)) {
    const ly = y - h * rng.range(0.85, 0.98);
    const lw = Math.max(2, size * 0.45);
    const lh = lw * 2.6;
    const side = rng.chance(0.5) ? 1 : -1;
    const lx = x + side * (w / 2 + lw / 2);
    c.fillRect(lx - lw / 2, ly - lh / 2, lx + lw / 2, ly + lh / 2, lid('traffic light'), mat('lightBox'));
    const lit = rng.int(3);
    c.fillEllipse(lx, ly - lh / 3 + (lit * lh) / 3, lw * 0.35, lw * 0.35, lid('traffic light'), mat('lamp'));
  }
}

function drawCar(c: SceneCanvas, rng: Rng, mat: MatFn, x: number, y: number, s: number, W: number): void {
  const body = mat('carBody');
  const glass = mat('carGlass');
  const tyre = mat('tyre');
  const car = lid('car');
  // Cast shadow under the car first: it darkens the road around the wheels.
  if (rng.chance(0.5)) {
    const w = W * 0.4 * s + 6;
    const h = w * rng.range(0.3, 0.4);
    c.shadePolygon([[x - w / 2, y], [x + w / 2, y], [x + w / 2 + 3, y + 2 + 0.05 * w], [x - w / 2 - 3, y + 2 + 0.05 * w]], 0.6);
    c.fillRect(x - w / 2, y - h * 0.65, x + w / 2, y - h * 0.12, car, body);
    c.fillPolygon([[x - w * 0.3, y - h * 0.6], [x - w * 0.18, y - h], [x + w * 0.22, y - h], [x + w * 0.36, y - h * 0.6]], car, body);
    c.fillPolygon([[x - w * 0.25, y - h * 0.62], [x - w * 0.16, y - h * 0.92], [x + w * 0.2, y - h * 0.92], [x + w * 0.3, y - h * 0.62]], car, glass);
    const r = h * 0.2;
    for (const wx of [x - w * 0.3, x + w * 0.3]) c.fillEllipse(wx, y - r, r, r, car, tyre);
  } else {
    const w = W * 0.25 * s + 4;
    const h = w * rng.range(0.7, 0.9);
    c.shadePolygon([[x - w / 2, y], [x + w / 2, y], [x + w / 2 + 2, y + 2 + 0.08 * w], [x - w / 2 - 2, y + 2 + 0.08 * w]], 0.6);
    c.fillRect(x - w * 0.45, y - h * 0.15, x - w * 0.3, y, car, tyre);
    c.fillRect(x + w * 0.3, y - h * 0.15, x + w * 0.45, y, car, tyre);
    c.fillRect(x - w / 2, y - h * 0.6, x + w / 2, y - h * 0.1, car, body);
    c.fillPolygon([[x - w * 0.46, y - h * 0.58], [x - w * 0.36, y - h], [x + w * 0.36, y - h], [x + w * 0.46, y - h * 0.58]], car, body);
    c.fillPolygon([[x - w * 0.4, y - h * 0.6], [x - w * 0.32, y - h * 0.92], [x + w * 0.32, y - h * 0.92], [x + w * 0.4, y - h * 0.6]], car, glass);
    const lamp = mat('lamp');
    c.fillRect(x - w * 0.46, y - h * 0.5, x - w * 0.34, y - h * 0.42, car, lamp);
    c.fillRect(x + w * 0.34, y - h * 0.5, x + w * 0.46, y - h * 0.42, car, lamp);
  }
}

function drawPerson(c: SceneCanvas, rng: Rng, mat: MatFn, x: number, y: number, h: number, label: number): void {
  const w = h * rng.range(0.22, 0.3);
  const shirt = mat('clothes');
  const trousers = mat('clothes');
  const skin = mat('skin');
  const legW = Math.max(1, w * 0.35);
  const spread = rng.range(0, 0.25) * w;
  c.strokeLine(x - w * 0.2, y - h * 0.48, x - w * 0.2 - spread, y, legW, label, trousers);
  c.strokeLine(x + w * 0.2, y - h * 0.48, x + w * 0.2 + spread, y, legW, label, trousers);
  c.fillRect(x - w / 2, y - h * 0.82, x + w / 2, y - h * 0.45, label, shirt);
  const armW = Math.max(1, w * 0.2);
  c.strokeLine(x - w / 2, y - h * 0.8, x - w * 0.65, y - h * 0.5, armW, label, shirt);
  c.strokeLine(x + w / 2, y - h * 0.8, x + w * 0.65, y - h * 0.5, armW, label, shirt);
  c.fillEllipse(x, y - h * 0.9, Math.max(0.8, w * 0.32), Math.max(0.8, h * 0.09), label, skin);
}

function drawBicycle(c: SceneCanvas, rng: Rng, mat: MatFn, x: number, y: number, dist: number, withRider: boolean): void {
  const r = dist * 0.22 + 1.5;
  const t = Math.max(1, r * 0.18);
  const m = mat('bicycle');
  const bike = lid('bicycle');
  const back = x - 1.3 * r;
  const front = x + 1.3 * r;
  const seatY = y - 2.1 * r;
  if (withRider) {
    // The rider is painted first: the bike's frame runs in front of the legs.
    const h = dist * rng.range(1.1, 1.4) + 3;
    drawPerson(c, rng, mat, x - 0.2 * r, seatY + h * 0.45, h, lid('rider'));
  }
  c.strokeRing(back, y - r, r, t, bike, m);
  c.strokeRing(front, y - r, r, t, bike, m);
  c.strokeLine(back, y - r, x, y - r, t, bike, m);
  c.strokeLine(x, y - r, x - 0.2 * r, seatY, t, bike, m);
  c.strokeLine(x - 0.2 * r, seatY, front - 0.2 * r, seatY, t, bike, m);
  c.strokeLine(front - 0.2 * r, seatY - 0.3 * r, front, y - r, t, bike, m);
  c.strokeLine(back, y - r, x - 0.2 * r, seatY, t, bike, m);
}
