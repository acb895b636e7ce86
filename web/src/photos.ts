/**
 * Photos taken or chosen on the device, shrunk to a preview that fits in local storage. Drawing
 * through a canvas also drops the EXIF block (with the GPS position of the camera) — DESIGN.md §7.
 * On submit each photo is uploaded once (POST /api/uploads, where the server re-encodes it and
 * strips any metadata left) and the report carries the ids.
 */

export interface Photo {
  id: string;
  /** The original file name (sent in `attachments`, at most 200 characters). */
  name: string;
  /** A JPEG data URL of the shrunk picture. */
  dataUrl: string;
  /** The server's id once uploaded: a retry after a dropped connection does not send it again. */
  uploadedId?: string;
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

/** The bytes of a photo's data URL, as a Blob to upload. */
export function photoBlob(photo: Photo): Blob {
  const [head = '', data = ''] = photo.dataUrl.split(',', 2);
  const type = /^data:([^;,]+)/.exec(head)?.[1] ?? 'image/jpeg';
  const bin = atob(data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

/**
 * Uploads the photos not uploaded yet, one after another (a weak network does better with one
 * transfer at a time), and reports each id as it arrives so that progress survives a failure.
 * Returns the ids in the photos' order.
 */
export async function uploadPhotos(
  photos: readonly Photo[],
  upload: (blob: Blob) => Promise<{ id: string }>,
  onUploaded: (photoId: string, serverId: string) => void = () => undefined,
): Promise<string[]> {
  const ids: string[] = [];
  for (const p of photos) {
    if (p.uploadedId) {
      ids.push(p.uploadedId);
      continue;
    }
    const r = await upload(photoBlob(p));
    onUploaded(p.id, r.id);
    ids.push(r.id);
  }
  return ids;
}
