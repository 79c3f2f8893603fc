// Shape rasterisation for the synthetic scene generator. A scene is painted back to front into
// two per-pixel layers: the Cityscapes label id and the index of the material (appearance) that
// renders the pixel, so occlusion is simply "later shapes overwrite earlier ones".

export type Point = readonly [number, number];

export class SceneCanvas {
  readonly labelIds: Uint8Array;
  readonly material: Uint16Array;
  /** Multiplicative light per pixel (cast shadows), applied at render time. */
  readonly shade: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.labelIds = new Uint8Array(width * height);
    this.material = new Uint16Array(width * height);
    this.shade = new Float32Array(width * height).fill(1);
  }

  set(x: number, y: number, labelId: number, material: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = y * this.width + x;
    this.labelIds[i] = labelId;
    this.material[i] = material;
  }

  fillRect(x0: number, y0: number, x1: number, y1: number, labelId: number, material: number): void {
    const xa = Math.max(0, Math.round(x0));
    const xb = Math.min(this.width, Math.round(x1));
    const ya = Math.max(0, Math.round(y0));
    const yb = Math.min(this.height, Math.round(y1));
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) this.set(x, y, labelId, material);
    }
  }

  fillEllipse(cx: number, cy: number, rx: number, ry: number, labelId: number, material: number): void {
    const ya = Math.max(0, Math.floor(cy - ry));
    const yb = Math.min(this.height - 1, Math.ceil(cy + ry));
    for (let y = ya; y <= yb; y++) {
      const dy = (y + 0.5 - cy) / ry;
      if (dy * dy > 1) continue;
      const half = rx * Math.sqrt(1 - dy * dy);
      const xa = Math.max(0, Math.round(cx - half));
      const xb = Math.min(this.width, Math.round(cx + half));
      for (let x = xa; x < xb; x++) this.set(x, y, labelId, material);
    }
  }

  /** Even-odd scanline fill, sampling each pixel centre. */
  fillPolygon(points: readonly Point[], labelId: number, material: number): void {
    let ymin = Infinity;
    let ymax = -Infinity;
    for (const [, y] of points) {
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
    }
    const ya = Math.max(0, Math.floor(ymin));
    const yb = Math.min(this.height - 1, Math.ceil(ymax));
    const xs: number[] = [];
    for (let y = ya; y <= yb; y++) {
      const sy = y + 0.5;
      xs.length = 0;
      for (let i = 0; i < points.length; i++) {
        const [x0, y0] = points[i]!;
        const [x1, y1] = points[(i + 1) % points.length]!;
        if ((y0 <= sy && y1 > sy) || (y1 <= sy && y0 > sy)) xs.push(x0 + ((sy - y0) / (y1 - y0)) * (x1 - x0));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const xa = Math.max(0, Math.ceil(xs[k]! - 0.5));
        const xb = Math.min(this.width - 1, Math.floor(xs[k + 1]! - 0.5));
        for (let x = xa; x <= xb; x++) this.set(x, y, labelId, material);
      }
    }
  }

  /** A straight stroke of the given width (a quadrilateral around the segment). */
  strokeLine(x0: number, y0: number, x1: number, y1: number, width: number, labelId: number, material: number): void {
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len = Math.hypot(dx, dy) || 1;
    const nx = (-dy / len) * (width / 2);
    const ny = (dx / len) * (width / 2);
    this.fillPolygon([[x0 + nx, y0 + ny], [x1 + nx, y1 + ny], [x1 - nx, y1 - ny], [x0 - nx, y0 - ny]], labelId, material);
  }

  /** A circle outline of the given thickness (wheels). */
  strokeRing(cx: number, cy: number, r: number, thickness: number, labelId: number, material: number): void {
    const ya = Math.max(0, Math.floor(cy - r - 1));
    const yb = Math.min(this.height - 1, Math.ceil(cy + r + 1));
    const xa = Math.max(0, Math.floor(cx - r - 1));
    const xb = Math.min(this.width - 1, Math.ceil(cx + r + 1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        if (Math.abs(d - r) <= thickness / 2) this.set(x, y, labelId, material);
      }
    }
  }

  /** Darkens a polygon (a cast shadow) without touching labels. */
  shadePolygon(points: readonly Point[], factor: number): void {
    const probe = new SceneCanvas(this.width, this.height);
    probe.fillPolygon(points, 1, 0);
    for (let i = 0; i < probe.labelIds.length; i++) if (probe.labelIds[i] === 1) this.shade[i]! *= factor;
  }
}
