// Drawing a call tile: the shell decodes pictures in Rust and serves the
// latest of each tile as I420 over `ling-video:` (a 16-byte header: width,
// height, sequence number, 0 as little-endian u32; then the Y, U and V
// planes). A WebGL2 shader turns YUV into RGB on the GPU; where WebGL2 is
// missing a 2D canvas does it in script.

export interface Picture {
  width: number;
  height: number;
  seq: number;
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

/** Reads a `ling-video:` body; null if it is not one. */
export function parsePicture(buf: ArrayBuffer): Picture | null {
  if (buf.byteLength < 16) return null;
  const h = new DataView(buf);
  const width = h.getUint32(0, true);
  const height = h.getUint32(4, true);
  const seq = h.getUint32(8, true);
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  if (width === 0 || height === 0 || buf.byteLength < 16 + ySize + 2 * cSize) return null;
  return {
    width,
    height,
    seq,
    y: new Uint8Array(buf, 16, ySize),
    u: new Uint8Array(buf, 16 + ySize, cSize),
    v: new Uint8Array(buf, 16 + ySize + cSize, cSize),
  };
}

/** BT.601 studio range to RGB. */
export function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const c = 1.164 * (y - 16);
  const d = u - 128;
  const e = v - 128;
  const clamp = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
  return [clamp(c + 1.596 * e), clamp(c - 0.392 * d - 0.813 * e), clamp(c + 2.017 * d)];
}

export interface Painter {
  draw(p: Picture): void;
}

const VERTEX = `#version 300 es
in vec2 pos;
out vec2 uv;
void main() {
  uv = vec2((pos.x + 1.0) / 2.0, (1.0 - pos.y) / 2.0);
  gl_Position = vec4(pos, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D ty, tu, tv;
out vec4 color;
void main() {
  float y = 1.164 * (texture(ty, uv).r - 0.0627);
  float u = texture(tu, uv).r - 0.502;
  float v = texture(tv, uv).r - 0.502;
  color = vec4(y + 1.596 * v, y - 0.392 * u - 0.813 * v, y + 2.017 * u, 1.0);
}`;

/** A painter for `canvas`: WebGL2 when there is one, else a 2D canvas. */
export function painter(canvas: HTMLCanvasElement): Painter | null {
  const gl = canvas.getContext('webgl2');
  if (gl) return glPainter(canvas, gl);
  const ctx = canvas.getContext('2d');
  return ctx ? canvasPainter(canvas, ctx) : null;
}

function glPainter(canvas: HTMLCanvasElement, gl: WebGL2RenderingContext): Painter | null {
  const shader = (type: number, src: string) => {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    return s;
  };
  const prog = gl.createProgram()!;
  gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) return null;
  gl.useProgram(prog);
  const buf = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, buf);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
  const loc = gl.getAttribLocation(prog, 'pos');
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
  const textures = ['ty', 'tu', 'tv'].map((name, i) => {
    const tex = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE0 + i);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.uniform1i(gl.getUniformLocation(prog, name), i);
    return tex;
  });
  gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
  return {
    draw(p) {
      if (canvas.width !== p.width || canvas.height !== p.height) {
        canvas.width = p.width;
        canvas.height = p.height;
      }
      gl.viewport(0, 0, p.width, p.height);
      const planes: Array<[Uint8Array, number, number]> = [
        [p.y, p.width, p.height],
        [p.u, p.width / 2, p.height / 2],
        [p.v, p.width / 2, p.height / 2],
      ];
      planes.forEach(([data, w, h], i) => {
        gl.activeTexture(gl.TEXTURE0 + i);
        gl.bindTexture(gl.TEXTURE_2D, textures[i]);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, w, h, 0, gl.RED, gl.UNSIGNED_BYTE, data);
      });
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    },
  };
}

function canvasPainter(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D): Painter {
  return {
    draw(p) {
      if (canvas.width !== p.width || canvas.height !== p.height) {
        canvas.width = p.width;
        canvas.height = p.height;
      }
      const img = ctx.createImageData(p.width, p.height);
      const cw = p.width / 2;
      for (let y = 0; y < p.height; y++) {
        for (let x = 0; x < p.width; x++) {
          const c = (y >> 1) * cw + (x >> 1);
          const [r, g, b] = yuvToRgb(p.y[y * p.width + x], p.u[c], p.v[c]);
          const o = (y * p.width + x) * 4;
          img.data[o] = r;
          img.data[o + 1] = g;
          img.data[o + 2] = b;
          img.data[o + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
    },
  };
}
