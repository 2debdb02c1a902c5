// BlurHash (https://blurha.sh) decoding: the API sends each card's hash so the grid paints a blurred preview at
// once, before the thumbnail arrives. A hash the decoder can't read paints nothing (the tile's colour shows).

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function decode83(text: string, from: number, to: number): number {
  let value = 0;
  for (let index = from; index < to; index++) {
    const digit = DIGITS.indexOf(text[index]);
    if (digit < 0) throw new Error("not a BlurHash");
    value = value * 83 + digit;
  }
  return value;
}

const toLinear = (value: number): number => {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
};

const toSrgb = (value: number): number => {
  const v = Math.max(0, Math.min(1, value));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255);
};

const signedSquare = (value: number): number => Math.sign(value) * value * value;

/** RGBA pixels of `hash` at `width` × `height`, or null when it is not a BlurHash. */
export function decodeBlurHash(hash: string, width: number, height: number): Uint8ClampedArray<ArrayBuffer> | null {
  try {
    const size = decode83(hash, 0, 1);
    const columns = (size % 9) + 1;
    const rows = Math.floor(size / 9) + 1;
    if (hash.length !== 4 + 2 * columns * rows) return null;
    const maximum = (decode83(hash, 1, 2) + 1) / 166;
    const dc = decode83(hash, 2, 6);
    const colors: number[][] = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
    for (let index = 1; index < columns * rows; index++) {
      const value = decode83(hash, 4 + index * 2, 6 + index * 2);
      const ac = (quantised: number) => signedSquare((quantised - 9) / 9) * maximum;
      colors.push([ac(Math.floor(value / 361)), ac(Math.floor(value / 19) % 19), ac(value % 19)]);
    }
    const pixels = new Uint8ClampedArray(new ArrayBuffer(width * height * 4));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sum = [0, 0, 0];
        for (let j = 0; j < rows; j++) {
          for (let i = 0; i < columns; i++) {
            const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
            const color = colors[i + j * columns];
            for (let channel = 0; channel < 3; channel++) sum[channel] += color[channel] * basis;
          }
        }
        const at = 4 * (x + y * width);
        pixels.set([toSrgb(sum[0]), toSrgb(sum[1]), toSrgb(sum[2]), 255], at);
      }
    }
    return pixels;
  } catch {
    return null;
  }
}

/** A Svelte action: paint the hash on the canvas it is used on (32 × 32, stretched by CSS). */
export function blurhash(canvas: HTMLCanvasElement, hash: string | null | undefined) {
  const paint = (value: string | null | undefined) => {
    const pixels = value ? decodeBlurHash(value, 32, 32) : null;
    const context = canvas.getContext("2d");
    if (!pixels || !context) return;
    canvas.width = 32;
    canvas.height = 32;
    context.putImageData(new ImageData(pixels, 32, 32), 0, 0);
  };
  paint(hash);
  return { update: paint };
}

/** A length as a player shows it: 0:07, 3:25, 1:02:03. */
export function clock(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}
