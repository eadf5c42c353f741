/** Turning image files and webcam frames into square RGBA samples at the model's input resolution. */

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** Center-crops a drawable to a square and scales it to size x size. */
export function toSquare(src: CanvasImageSource, srcW: number, srcH: number, size: number): RgbaImage {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const side = Math.min(srcW, srcH);
  ctx.drawImage(src, (srcW - side) / 2, (srcH - side) / 2, side, side, 0, 0, size, size);
  return { width: size, height: size, rgba: ctx.getImageData(0, 0, size, size).data };
}

/** A file that did not become an image, and why. */
export interface RefusedFile {
  name: string;
  reason: string;
}

/** Decodes image files; every file that is not an image, or does not decode, is refused by name. */
export async function filesToImages(
  files: FileList | File[],
  size: number,
): Promise<{ images: RgbaImage[]; refused: RefusedFile[] }> {
  const images: RgbaImage[] = [];
  const refused: RefusedFile[] = [];
  for (const f of Array.from(files)) {
    // an unknown type ('') may still decode; a known non-image type is refused without trying
    if (f.type && !f.type.startsWith('image/')) {
      refused.push({ name: f.name, reason: `not an image file (${f.type})` });
      continue;
    }
    try {
      const bmp = await createImageBitmap(f);
      images.push(toSquare(bmp, bmp.width, bmp.height, size));
      bmp.close();
    } catch {
      refused.push({ name: f.name, reason: 'a broken image (it does not decode)' });
    }
  }
  return { images, refused };
}

/** A small data URL preview of a sample. */
export function thumbnail(img: RgbaImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
  return canvas.toDataURL();
}
