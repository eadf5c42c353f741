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

/** Decodes image files; files that are not images are skipped and counted. */
export async function filesToImages(
  files: FileList | File[],
  size: number,
): Promise<{ images: RgbaImage[]; skipped: number }> {
  const images: RgbaImage[] = [];
  let skipped = 0;
  for (const f of Array.from(files)) {
    try {
      const bmp = await createImageBitmap(f);
      images.push(toSquare(bmp, bmp.width, bmp.height, size));
      bmp.close();
    } catch {
      skipped++;
    }
  }
  return { images, skipped };
}

/** A small data URL preview of a sample. */
export function thumbnail(img: RgbaImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(img.rgba), img.width, img.height), 0, 0);
  return canvas.toDataURL();
}
