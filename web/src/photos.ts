/**
 * Photos taken or chosen on the device, shrunk to a preview that fits in local storage. Drawing
 * through a canvas also drops the EXIF block (with the GPS position of the camera) — DESIGN.md §7.
 * There is no upload endpoint yet: only the file names are sent with a report.
 */

export interface Photo {
  id: string;
  /** The original file name (sent in `attachments`, at most 200 characters). */
  name: string;
  /** A JPEG data URL of the shrunk picture. */
  dataUrl: string;
}

export const MAX_PHOTOS = 9;

function loadImage(file: File): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('not an image'));
    };
    img.src = url;
  });
}

/** Reads an image file into a preview at most `maxSide` pixels on its longer side. */
export async function readPhoto(file: File, maxSide = 1024, quality = 0.7): Promise<Photo> {
  if (!file.type.startsWith('image/')) throw new Error('not an image');
  const img = await loadImage(file);
  const scale = Math.min(1, maxSide / Math.max(img.naturalWidth, img.naturalHeight, 1));
  const w = Math.max(1, Math.round(img.naturalWidth * scale));
  const h = Math.max(1, Math.round(img.naturalHeight * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no canvas');
  ctx.drawImage(img, 0, 0, w, h);
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return {
    id: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
    name: (file.name || 'photo.jpg').slice(-200),
    dataUrl: canvas.toDataURL('image/jpeg', quality),
  };
}
