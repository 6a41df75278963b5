// Draws I420 pictures on a canvas. WebGL: the three planes are uploaded as LUMINANCE textures and
// a fragment shader converts BT.601 limited range to RGB. Where WebGL is missing (WebKitGTK
// without GL, e.g. under Xvfb) or its context is lost, the same conversion runs on the CPU into
// a 2D canvas. Which path is used is logged once per canvas and readable as `renderer.path`.
// A lost WebGL context is reported through `onLost`: a canvas that had a WebGL context cannot
// give a 2D one, so the caller makes a fresh canvas and asks for the 2D path.
import type { I420Frame } from './i420frame';

export type RenderPath = 'webgl' | '2d';

/** Draws pictures on one canvas; the canvas's pixel size follows the picture's. */
export interface I420Renderer {
  readonly path: RenderPath;
  draw(frame: I420Frame): void;
  destroy(): void;
}

const VERTEX = `
attribute vec2 a_pos;
varying vec2 v_uv;
void main() {
  v_uv = vec2((a_pos.x + 1.0) * 0.5, (1.0 - a_pos.y) * 0.5);
  gl_Position = vec4(a_pos, 0.0, 1.0);
}`;

// BT.601, limited range: Y in 16..235, U and V in 16..240.
const FRAGMENT = `
precision mediump float;
varying vec2 v_uv;
uniform sampler2D u_y;
uniform sampler2D u_u;
uniform sampler2D u_v;
void main() {
  float y = 1.164383 * (texture2D(u_y, v_uv).r - 0.062745);
  float u = texture2D(u_u, v_uv).r - 0.501961;
  float v = texture2D(u_v, v_uv).r - 0.501961;
  gl_FragColor = vec4(
    clamp(y + 1.596027 * v, 0.0, 1.0),
    clamp(y - 0.391762 * u - 0.812968 * v, 0.0, 1.0),
    clamp(y + 2.017232 * u, 0.0, 1.0),
    1.0);
}`;

/**
 * A renderer for `canvas`: WebGL when it works, else the 2D fallback. `force: '2d'` takes the 2D
 * path at once (after a lost context, or where WebGL would run on the CPU). `label` names the
 * canvas in the log line.
 */
export function createI420Renderer(
  canvas: HTMLCanvasElement,
  label: string,
  options: { force?: RenderPath; onLost?: () => void } = {},
): I420Renderer {
  if (options.force !== '2d') {
    try {
      const gl = new GlRenderer(canvas, () => {
        console.warn(`[video] ${label}: WebGL context lost; drawing on the CPU from now on`);
        options.onLost?.();
      });
      console.info(`[video] ${label}: drawing with WebGL`);
      return gl;
    } catch (error) {
      console.info(`[video] ${label}: WebGL unavailable (${error instanceof Error ? error.message : String(error)}); drawing on the CPU (2D canvas)`);
    }
  }
  if (options.force === '2d') console.info(`[video] ${label}: drawing on the CPU (2D canvas), as asked`);
  return new CpuRenderer(canvas);
}

class GlRenderer implements I420Renderer {
  readonly path: RenderPath = 'webgl';
  #gl: WebGLRenderingContext;
  #textures: WebGLTexture[];
  #program: WebGLProgram;
  #buffer: WebGLBuffer;
  #lost = false;
  /** The size the textures were allocated at; a picture of another size allocates again. */
  #allocated = { width: 0, height: 0 };
  #canvas: HTMLCanvasElement;
  #onLost: (e: Event) => void;

  constructor(canvas: HTMLCanvasElement, onLost: () => void) {
    const gl = canvas.getContext('webgl', {
      alpha: false,
      antialias: false,
      depth: false,
      stencil: false,
      premultipliedAlpha: false,
      // Kept so that screenshots (and the window's own snapshot) see the last picture.
      preserveDrawingBuffer: true,
    });
    if (!gl) throw new Error('no WebGL context');
    withWebgl.add(canvas);
    this.#gl = gl;
    this.#canvas = canvas;
    this.#program = link(gl, VERTEX, FRAGMENT);
    gl.useProgram(this.#program);
    const buffer = gl.createBuffer();
    if (!buffer) throw new Error('no WebGL buffer');
    this.#buffer = buffer;
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const pos = gl.getAttribLocation(this.#program, 'a_pos');
    gl.enableVertexAttribArray(pos);
    gl.vertexAttribPointer(pos, 2, gl.FLOAT, false, 0, 0);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.#textures = ['u_y', 'u_u', 'u_v'].map((name, unit) => {
      const texture = gl.createTexture();
      if (!texture) throw new Error('no WebGL texture');
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      gl.uniform1i(gl.getUniformLocation(this.#program, name), unit);
      return texture;
    });
    this.#onLost = (e: Event) => {
      e.preventDefault();
      this.#lost = true;
      onLost();
    };
    canvas.addEventListener('webglcontextlost', this.#onLost);
  }

  draw(frame: I420Frame): void {
    if (this.#lost) return;
    const gl = this.#gl;
    if (this.#canvas.width !== frame.width || this.#canvas.height !== frame.height) {
      this.#canvas.width = frame.width;
      this.#canvas.height = frame.height;
    }
    gl.viewport(0, 0, frame.width, frame.height);
    const cw = Math.ceil(frame.width / 2);
    const ch = Math.ceil(frame.height / 2);
    const planes: [Uint8Array, number, number][] = [
      [frame.y, frame.width, frame.height],
      [frame.u, cw, ch],
      [frame.v, cw, ch],
    ];
    const allocate = this.#allocated.width !== frame.width || this.#allocated.height !== frame.height;
    planes.forEach(([data, w, h], unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, this.#textures[unit] ?? null);
      // Same size as before: overwrite the texture in place instead of allocating a new one.
      if (allocate) gl.texImage2D(gl.TEXTURE_2D, 0, gl.LUMINANCE, w, h, 0, gl.LUMINANCE, gl.UNSIGNED_BYTE, data);
      else gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, w, h, gl.LUMINANCE, gl.UNSIGNED_BYTE, data);
    });
    this.#allocated = { width: frame.width, height: frame.height };
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  destroy(): void {
    this.#canvas.removeEventListener('webglcontextlost', this.#onLost);
    if (this.#lost) return;
    const gl = this.#gl;
    for (const t of this.#textures) gl.deleteTexture(t);
    gl.deleteBuffer(this.#buffer);
    gl.deleteProgram(this.#program);
  }
}

/** Canvases that were given a WebGL context here. */
const withWebgl = new WeakSet<HTMLCanvasElement>();

function link(gl: WebGLRenderingContext, vertex: string, fragment: string): WebGLProgram {
  const compile = (type: number, source: string): WebGLShader => {
    const shader = gl.createShader(type);
    if (!shader) throw new Error('no WebGL shader');
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      throw new Error(`shader: ${gl.getShaderInfoLog(shader) ?? 'does not compile'}`);
    }
    return shader;
  };
  const program = gl.createProgram();
  if (!program) throw new Error('no WebGL program');
  const shaders = [compile(gl.VERTEX_SHADER, vertex), compile(gl.FRAGMENT_SHADER, fragment)];
  for (const shader of shaders) gl.attachShader(program, shader);
  gl.linkProgram(program);
  const linked = gl.getProgramParameter(program, gl.LINK_STATUS) as boolean;
  const log = linked ? '' : (gl.getProgramInfoLog(program) ?? 'does not link');
  // The program keeps what it needs; the shaders go (they would live as long as the context).
  for (const shader of shaders) {
    gl.detachShader(program, shader);
    gl.deleteShader(shader);
  }
  if (!linked) {
    gl.deleteProgram(program);
    throw new Error(`program: ${log}`);
  }
  return program;
}

/**
 * Gives back the WebGL context of a canvas that leaves the page. Browsers keep only a few
 * contexts alive and drop the oldest past that; one per removed canvas would otherwise linger
 * until garbage collection. Only for a canvas that will not draw again.
 */
export function releaseCanvas(canvas: HTMLCanvasElement): void {
  if (!withWebgl.delete(canvas)) return;
  const gl = canvas.getContext('webgl');
  if (gl && !gl.isContextLost()) gl.getExtension('WEBGL_lose_context')?.loseContext();
}

// Fixed-point BT.601 limited-range tables (16.16), shared by every CPU renderer.
const Y_TABLE = new Int32Array(256);
const RV = new Int32Array(256);
const GU = new Int32Array(256);
const GV = new Int32Array(256);
const BU = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  Y_TABLE[i] = Math.round(1.164383 * (i - 16) * 65536);
  RV[i] = Math.round(1.596027 * (i - 128) * 65536);
  GU[i] = Math.round(-0.391762 * (i - 128) * 65536);
  GV[i] = Math.round(-0.812968 * (i - 128) * 65536);
  BU[i] = Math.round(2.017232 * (i - 128) * 65536);
}

/** Converts I420 (BT.601 limited range) to RGBA into `out` (`width * height * 4` bytes). */
export function i420ToRgba(frame: I420Frame, out: Uint8ClampedArray): void {
  const { width, height, y, u, v } = frame;
  const cw = Math.ceil(width / 2);
  for (let row = 0; row < height; row++) {
    const crow = (row >> 1) * cw;
    let o = row * width * 4;
    let yi = row * width;
    for (let col = 0; col < width; col++) {
      const c = crow + (col >> 1);
      const uu = u[c] ?? 128;
      const vv = v[c] ?? 128;
      const yy = Y_TABLE[y[yi++] ?? 0] ?? 0;
      // Uint8ClampedArray clamps; >> 16 turns fixed point back into 0..255.
      out[o] = (yy + (RV[vv] ?? 0)) >> 16;
      out[o + 1] = (yy + (GU[uu] ?? 0) + (GV[vv] ?? 0)) >> 16;
      out[o + 2] = (yy + (BU[uu] ?? 0)) >> 16;
      out[o + 3] = 255;
      o += 4;
    }
  }
}

class CpuRenderer implements I420Renderer {
  readonly path: RenderPath = '2d';
  #canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D | null;
  #image: ImageData | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d', { alpha: false });
    if (!this.#ctx) console.error('[video] no 2D canvas context: pictures cannot be shown');
  }

  draw(frame: I420Frame): void {
    const ctx = this.#ctx;
    if (!ctx) throw new Error('no 2D canvas context');
    if (this.#canvas.width !== frame.width || this.#canvas.height !== frame.height) {
      this.#canvas.width = frame.width;
      this.#canvas.height = frame.height;
    }
    if (!this.#image || this.#image.width !== frame.width || this.#image.height !== frame.height) {
      this.#image = ctx.createImageData(frame.width, frame.height);
    }
    i420ToRgba(frame, this.#image.data);
    ctx.putImageData(this.#image, 0, 0);
  }

  destroy(): void {
    this.#image = null;
  }
}
