// Drawing one annotation on a 2D canvas: the board on screen and the export of annotated
// pictures use this same code, so what is saved is what was shown.
import type { Shape } from '../../generated/protocol';
import { BOARD_UNITS } from '../../generated/protocol';
import { unhandled } from '../exhaustive';

/** `[x, y]`, 0 to BOARD_UNITS across the target. */
export type BoardPoint = [number, number];

/** Line width in pixels for a board width (thousandths of the picture's width). */
export function lineWidth(w: number, width: number): number {
  return Math.max(1.5, (w / 1000) * width);
}

/** Draws `shape` on `ctx`, whose drawing area is `width`×`height` pixels. */
export function paintShape(ctx: CanvasRenderingContext2D, shape: Shape, stroke: string, w: number, width: number, height: number): void {
  const px = (p: BoardPoint): [number, number] => [(p[0] / BOARD_UNITS) * width, (p[1] / BOARD_UNITS) * height];
  ctx.save();
  ctx.strokeStyle = stroke;
  ctx.fillStyle = stroke;
  ctx.lineWidth = lineWidth(w, width);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  switch (shape.kind) {
    case 'pen':
    case 'highlight': {
      if (shape.kind === 'highlight') {
        ctx.globalAlpha = 0.35;
        ctx.lineWidth = lineWidth(w, width) * 4;
      }
      ctx.beginPath();
      shape.points.forEach((p, i) => {
        const [x, y] = px(p);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      if (shape.points.length === 1) {
        const [x, y] = px(shape.points[0]!);
        ctx.lineTo(x + 0.01, y);
      }
      ctx.stroke();
      break;
    }
    case 'arrow': {
      const [x1, y1] = px(shape.from);
      const [x2, y2] = px(shape.to);
      const angle = Math.atan2(y2 - y1, x2 - x1);
      const head = Math.max(12, ctx.lineWidth * 4);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x2, y2);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x2, y2);
      ctx.lineTo(x2 - head * Math.cos(angle - 0.45), y2 - head * Math.sin(angle - 0.45));
      ctx.lineTo(x2 - head * Math.cos(angle + 0.45), y2 - head * Math.sin(angle + 0.45));
      ctx.closePath();
      ctx.fill();
      break;
    }
    case 'rect': {
      const [x1, y1] = px(shape.from);
      const [x2, y2] = px(shape.to);
      ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
      break;
    }
    case 'ellipse': {
      const [x1, y1] = px(shape.from);
      const [x2, y2] = px(shape.to);
      ctx.beginPath();
      ctx.ellipse((x1 + x2) / 2, (y1 + y2) / 2, Math.abs(x2 - x1) / 2, Math.abs(y2 - y1) / 2, 0, 0, Math.PI * 2);
      ctx.stroke();
      break;
    }
    case 'text': {
      const [x, y] = px(shape.at);
      const size = Math.max(12, lineWidth(w, width) * 5);
      ctx.font = `600 ${size}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      ctx.lineWidth = Math.max(2, size / 6);
      ctx.strokeStyle = 'rgb(255 255 255 / 85%)';
      ctx.strokeText(shape.text, x, y);
      ctx.fillText(shape.text, x, y);
      break;
    }
    default:
      unhandled(shape, 'shape');
  }
  ctx.restore();
}
