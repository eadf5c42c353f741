/** "Your data": add classes, fill them from image files or the webcam, see what is wrong with them, try the model. */
import { useState } from 'react';
import { usePlayground } from '../../state/playground';
import { dataWarnings, useUserData } from '../../state/user-data';
import { filesToImages, thumbnail, toSquare, type RefusedFile } from './images';
import { TryIt } from './TryIt';
import { Webcam } from './Webcam';

/** What happened to the last files added: how many images, and each refused file by name. */
function FileNote({ added, refused }: { added: number; refused: RefusedFile[] }) {
  return (
    <div className="hint" data-testid="data.note" role="status">
      {added} image(s) added.
      {refused.length > 0 && (
        <ul className="refused" data-testid="data.refused">
          {refused.map((r, i) => (
            <li key={i}>
              {r.name} was refused: {r.reason}.
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Where the images are kept, and the button that deletes them (asks once). */
function Persistence() {
  const { classes, persistence, persistNote, clear } = useUserData();
  const [asking, setAsking] = useState(false);
  const images = classes.reduce((a, c) => a + c.samples.length, 0);
  const where =
    persistence === 'off'
      ? 'This browser cannot keep them: they last until you close the tab.'
      : persistence === 'saving' || persistence === 'restoring'
        ? 'Saving in this browser…'
        : persistence === 'saved'
          ? 'Kept in this browser (IndexedDB) until you clear them; never uploaded.'
          : '';
  return (
    <div className="persist">
      <p className="hint" data-testid="data.persistence" data-state={persistence}>
        {where} {persistNote}
      </p>
      {asking ? (
        <span role="group" aria-label="confirm clearing">
          Delete {images} image(s) and {classes.length} class name(s) from this browser?{' '}
          <button
            data-testid="data.clear.confirm"
            onClick={() => {
              setAsking(false);
              void clear();
            }}
          >
            yes, delete
          </button>{' '}
          <button onClick={() => setAsking(false)}>cancel</button>
        </span>
      ) : (
        <button data-testid="data.clear" disabled={classes.length === 0} onClick={() => setAsking(true)}>
          clear my data
        </button>
      )}
    </div>
  );
}

export function YourData() {
  const { classes, addClass, removeClass, addSamples } = useUserData();
  const resolution = usePlayground((s) => s.experiment.resolution);
  const classCount = usePlayground((s) => s.experiment.classes);
  const update = usePlayground((s) => s.update);
  const withImages = classes.filter((c) => c.samples.length > 0).length;
  const warnings = dataWarnings(classes);
  const [name, setName] = useState('');
  const [camFor, setCamFor] = useState<number | null>(null);
  const [note, setNote] = useState<{ added: number; refused: RefusedFile[] } | null>(null);

  const onFiles = async (index: number, files: FileList | null) => {
    if (!files) return;
    const { images, refused } = await filesToImages(files, resolution);
    addSamples(index, images);
    setNote({ added: images.length, refused });
  };

  return (
    <div className="your-data" data-testid="data.panel">
      <p className="hint">
        Add classes from image files or the webcam; images are center-cropped to {resolution}×{resolution}. About 20% of
        each class is held out: training never sees them, and the Train tab reports accuracy on them.
      </p>
      <Persistence />
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
          aria-label="class name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="data.className"
        />
        <button type="submit" data-testid="data.addClass">
          add class
        </button>
      </form>
      {note && <FileNote {...note} />}
      {warnings.length > 0 && (
        <div role="alert">
          <ul className="warnings" data-testid="data.warnings">
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
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
              <Webcam
                label="capture"
                onFrame={(v) => addSamples(i, [toSquare(v, v.videoWidth, v.videoHeight, resolution)])}
              />
            )}
            <div className="thumbs">
              {c.samples.slice(-12).map((s, j) => (
                <img key={j} src={thumbnail(s)} alt="" width={32} height={32} />
              ))}
            </div>
          </li>
        ))}
      </ul>
      <TryIt />
    </div>
  );
}
