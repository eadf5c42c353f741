/** "Your data": add classes, fill them from image files or the webcam. */
import { useEffect, useRef, useState } from 'react';
import { usePlayground } from '../../state/playground';
import { useUserData } from '../../state/user-data';
import { filesToImages, thumbnail, toSquare } from './images';

function Webcam({ onFrame }: { onFrame(v: HTMLVideoElement): void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let cancelled = false;
    if (!navigator.mediaDevices?.getUserMedia) {
      setError('this browser gives no camera access here');
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
      <p className="hint" data-testid="data.webcam.error">
        {error}
      </p>
    );
  return (
    <div className="webcam">
      <video ref={video} autoPlay playsInline muted width={160} height={120} />
      <button onClick={() => video.current && onFrame(video.current)}>capture</button>
    </div>
  );
}

export function YourData() {
  const { classes, addClass, removeClass, addSamples } = useUserData();
  const resolution = usePlayground((s) => s.experiment.resolution);
  const classCount = usePlayground((s) => s.experiment.classes);
  const update = usePlayground((s) => s.update);
  const withImages = classes.filter((c) => c.samples.length > 0).length;
  const [name, setName] = useState('');
  const [camFor, setCamFor] = useState<number | null>(null);
  const [note, setNote] = useState('');

  const onFiles = async (index: number, files: FileList | null) => {
    if (!files) return;
    const { images, skipped } = await filesToImages(files, resolution);
    addSamples(index, images);
    setNote(`${images.length} image(s) added${skipped ? `, ${skipped} file(s) were not images` : ''}.`);
  };

  return (
    <div className="your-data" data-testid="data.panel">
      <p className="hint">
        Add classes from image files or the webcam; images are center-cropped to {resolution}×{resolution}. They stay in
        this browser tab.
      </p>
      <form
        className="add-class"
        onSubmit={(e) => {
          e.preventDefault();
          addClass(name);
          setName('');
        }}
      >
        <input
          placeholder="class name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="class name"
          data-testid="data.className"
        />
        <button type="submit" data-testid="data.addClass">
          add class
        </button>
      </form>
      {note && <p className="hint">{note}</p>}
      {withImages > 0 && (
        <p className="hint" data-testid="data.summary">
          Training uses these {classes.length} classes instead of the built-in data set.
          {classes.length >= 2 && classes.length !== classCount && (
            <>
              {' '}
              The classifier has {classCount} outputs:{' '}
              <button data-testid="data.setClasses" onClick={() => update({ classes: classes.length })}>
                use {classes.length} classes
              </button>
            </>
          )}
        </p>
      )}
      <ul className="class-list">
        {classes.map((c, i) => (
          <li key={i} data-testid={`data.class.${i}`}>
            <div className="class-head">
              <strong>{c.name}</strong> <span className="hint">{c.samples.length} images</span>
              <label className="file-btn">
                files…
                <input
                  type="file"
                  accept="image/*"
                  multiple
                  onChange={(e) => void onFiles(i, e.target.files)}
                  data-testid={`data.files.${i}`}
                />
              </label>
              <button onClick={() => setCamFor(camFor === i ? null : i)}>
                {camFor === i ? 'close camera' : 'webcam'}
              </button>
              <button onClick={() => removeClass(i)} aria-label={`remove ${c.name}`}>
                ×
              </button>
            </div>
            {camFor === i && (
              <Webcam onFrame={(v) => addSamples(i, [toSquare(v, v.videoWidth, v.videoHeight, resolution)])} />
            )}
            <div className="thumbs">
              {c.samples.slice(-12).map((s, j) => (
                <img key={j} src={thumbnail(s)} alt="" width={32} height={32} />
              ))}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
