/**
 * Width and height of an element, kept current with a ResizeObserver. Returns a callback ref, so it also
 * works for an element that appears after the first render.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export function useSize<T extends HTMLElement>(): [(el: T | null) => void, { width: number; height: number }] {
  const [size, setSize] = useState({ width: 0, height: 0 });
  const observer = useRef<ResizeObserver | null>(null);
  const ref = useCallback((el: T | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!el) return;
    let frame = 0;
    const ro = new ResizeObserver(([entry]) => {
      const width = Math.round(entry.contentRect.width);
      const height = Math.round(entry.contentRect.height);
      // Apply on the next frame: resizing inside the observer callback can raise "ResizeObserver loop" errors.
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() =>
        setSize((s) => (s.width === width && s.height === height ? s : { width, height })),
      );
    });
    ro.observe(el);
    observer.current = ro;
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  return [ref, size];
}
