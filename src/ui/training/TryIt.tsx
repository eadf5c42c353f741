/**
 * "Try it": classify one new image (a file, a dropped file or a webcam frame) with the weights the worker has now,
 * and show the most likely classes by name.
 */
import { useState } from 'react';
import { usePlayground } from '../../state/playground';
import { classifyImage } from '../../state/training';
import { useUserData } from '../../state/user-data';
import { filesToImages, thumbnail, toSquare, type RgbaImage } from './images';
import { Webcam } from './Webcam';

const TOP = 3;

export function TryIt() {
  const resolution = usePlayground((s) => s.experiment.resolution);
  const names = useUserData((s) => s.classes).map((c) => c.name);
  const [preview, setPreview] = useState<string | null>(null);
  const [probs, setProbs] = useState<number[] | null>(null);
  const [error, setError] = useState('');
  const [camera, setCamera] = useState(false);

  const classify = async (img: RgbaImage) => {
    setPreview(thumbnail(img));
    setProbs(null);
    setError('');
    try {
      setProbs(await classifyImage(img));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const fromFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    const { images, refused } = await filesToImages([files[0]], resolution);
    if (refused.length) setError(`${refused[0].name} was refused: ${refused[0].reason}`);
    else await classify(images[0]);
  };
  const top = probs
    ? probs
        .map((p, i) => ({ p, i, name: names[i] ?? `class ${i}` }))
        .sort((a, b) => b.p - a.p)
        .slice(0, TOP)
    : [];

  return (
    <section
      className="try-it"
      aria-label="Try it"
      data-testid="try.panel"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        void fromFiles(e.dataTransfer.files);
      }}
    >
      <h4>Try it</h4>
      <p className="hint">Classify a new image with the current weights: pick or drop a file, or use the camera.</p>
      <label className="file-btn">
        image…
        <input type="file" accept="image/*" onChange={(e) => void fromFiles(e.target.files)} data-testid="try.file" />
      </label>{' '}
      <button onClick={() => setCamera(!camera)} data-testid="try.webcam">
        {camera ? 'close camera' : 'webcam'}
      </button>
      {camera && (
        <Webcam
          label="classify frame"
          onFrame={(v) => void classify(toSquare(v, v.videoWidth, v.videoHeight, resolution))}
        />
      )}
      {error && (
        <p className="hint" role="alert" data-testid="try.error">
          {error}
        </p>
      )}
      {preview && (
        <div className="try-result">
          <img src={preview} alt="the image classified" width={48} height={48} />
          <ol data-testid="try.result">
            {top.map((t) => (
              <li key={t.i} data-class={t.i} data-p={t.p.toFixed(4)}>
                {t.name}: {(100 * t.p).toFixed(1)}%
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
