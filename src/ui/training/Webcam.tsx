/** A live camera preview with one button that hands the current frame over; a clear line when there is no camera. */
import { useEffect, useRef, useState } from 'react';

export function Webcam({ label, onFrame }: { label: string; onFrame(v: HTMLVideoElement): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let cancelled = false;
    if (!navigator.mediaDevices?.getUserMedia) {
      setError('no camera: this browser gives no camera access on this page (it needs https or localhost)');
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { width: 320, height: 240 } })
      .then((s) => {
        if (cancelled) return s.getTracks().forEach((t) => t.stop());
        stream = s;
        if (video.current) video.current.srcObject = s;
      })
      .catch((err: Error) => setError(`no camera: ${err.message}`));
    return () => {
      cancelled = true;
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);
  if (error)
    return (
      <p className="hint" data-testid="data.webcam.error" role="alert">
        {error}
      </p>
    );
  return (
    <div className="webcam">
      <video ref={video} autoPlay playsInline muted width={160} height={120} />
      <button
        onClick={() => {
          const v = video.current;
          if (v && v.videoWidth > 0) onFrame(v);
        }}
      >
        {label}
      </button>
    </div>
  );
}
