import sharp from 'sharp';

/** A small real JPEG (a coloured gradient with a stripe), as a phone camera would hand over. */
export async function testJpeg(seed = 0): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const stripe = Math.abs(y - h / 2) < 12;
      raw[i] = stripe ? 250 : (x + seed * 40) % 256;
      raw[i + 1] = stripe ? 200 : (y * 2) % 256;
      raw[i + 2] = stripe ? 40 : 160;
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}
