/**
 * Training: start / pause / step / reset, learning rate, rounding, QAS, seed, the loss and accuracy curves and
 * the throughput, plus the "your data" tab. Talks only to the training store.
 */
import { useEffect, useRef, useState } from 'react';
import { ROUNDINGS } from '../../state/experiment';
import type { RoundingChoice } from '../../state/experiment';
import { usePlayground } from '../../state/playground';
import { IMPORTED, importedKeepsClassifier } from '../../state/imported';
import { clearTrainingError, useTraining } from '../../state/training';
import type { TrainingStatus } from '../../state/training';
import { Tabs } from '../Tabs';
import { Term } from '../Term';
import { useSize } from '../useSize';
import { AccuracyLegend, lastEvaluation, TEST_COLOR, TRAIN_COLOR } from './AccuracyLegend';
import { DataLine, useTrainingDataFit } from './DataLine';
import { LineChart } from './LineChart';
import { YourData } from './YourData';

function Controls() {
  const status = useTraining((s) => s.status);
  const t = useTraining();
  const hasPlan = usePlayground((s) => s.compiled.plan !== null);
  // a model whose input is not an image cannot train here (the data line says why)
  const images = useTrainingDataFit()?.ok !== false;
  const off = status === 'unavailable' || status === 'loading' || !hasPlan || !images;
  const running = status === 'running';
  // Keyboard focus follows Start -> Pause -> Start: the pressed button disables itself, so without this focus
  // would fall to the page and Space could not pause.
  const startRef = useRef<HTMLButtonElement>(null);
  const pauseRef = useRef<HTMLButtonElement>(null);
  const follow = useRef<'start' | 'pause' | null>(null);
  useEffect(() => {
    if (follow.current === 'pause' && running) pauseRef.current?.focus();
    else if (follow.current === 'start' && !running && !off) startRef.current?.focus();
    else return;
    follow.current = null;
  }, [running, off]);
  const pressed = (b: HTMLElement | null) => document.activeElement === b;
  return (
    <div className="train-buttons">
      <button
        ref={startRef}
        id="train-start"
        data-testid="train.start"
        disabled={off || running}
        onClick={() => {
          follow.current = pressed(startRef.current) ? 'pause' : null;
          clearTrainingError();
          void t.start();
        }}
      >
        ▶ start
      </button>
      <button
        ref={pauseRef}
        data-testid="train.pause"
        disabled={off || !running}
        onClick={() => {
          follow.current = pressed(pauseRef.current) ? 'start' : null;
          void t.pause();
        }}
      >
        ❚❚ pause
      </button>
      <button
        data-testid="train.step"
        disabled={off || running}
        onClick={() => {
          clearTrainingError();
          void t.step(1);
        }}
      >
        step
      </button>
      <button data-testid="train.reset" disabled={off} onClick={() => void t.reset()}>
        reset
      </button>
    </div>
  );
}

function HyperParameters() {
  const e = usePlayground((s) => s.experiment);
  const update = usePlayground((s) => s.update);
  const [lrText, setLrText] = useState(String(e.lr));
  useEffect(() => setLrText(String(e.lr)), [e.lr]);
  return (
    <div className="grid2">
      <label>
        <Term term="learning rate" inLabel>
          Learning rate
        </Term>
        <input
          data-testid="train.lr"
          inputMode="decimal"
          value={lrText}
          onChange={(ev) => {
            setLrText(ev.target.value);
            const v = Number(ev.target.value);
            if (Number.isFinite(v) && v >= 1e-6 && v <= 10) update({ lr: v });
          }}
          aria-invalid={!(Number(lrText) >= 1e-6 && Number(lrText) <= 10)}
        />
      </label>
      <label>
        <Term term="rounding" inLabel>
          Rounding
        </Term>
        <select
          data-testid="train.rounding"
          value={e.rounding}
          onChange={(ev) => update({ rounding: ev.target.value as RoundingChoice })}
        >
          {ROUNDINGS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        <Term term="seed" inLabel>
          Seed
        </Term>
        <input
          type="number"
          data-testid="train.seed"
          min={0}
          value={e.seed}
          onChange={(ev) => {
            const v = Math.round(Number(ev.target.value));
            if (v >= 0 && v < 2 ** 31) update({ seed: v });
          }}
        />
      </label>
      <label className="inline">
        <input
          type="checkbox"
          data-testid="train.qas"
          checked={e.qas}
          onChange={(ev) => update({ qas: ev.target.checked })}
        />
        <Term term="QAS" inLabel />
      </label>
    </div>
  );
}

const THREAD_CHOICES = [1, 2, 3, 4];

/** The kernel threads of the training worker: a choice, and how many run (1 without cross-origin isolation). */
function ThreadsControl() {
  const { requested, info } = useTraining((s) => s.threads);
  const setThreads = useTraining((s) => s.setThreads);
  const why = info && !info.isolated ? ' (shared memory unavailable: the page is not cross-origin isolated)' : '';
  return (
    <label className="train-threads" title={`WebAssembly threads of the training worker${why}`}>
      threads:{' '}
      <select
        data-testid="train.threads"
        data-running={info?.running ?? ''}
        data-isolated={info ? String(info.isolated) : ''}
        value={requested}
        onChange={(e) => void setThreads(Number(e.target.value))}
      >
        {THREAD_CHOICES.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      {info && info.running !== requested ? ` (running ${info.running})` : ''}
    </label>
  );
}

function Curves() {
  const history = useTraining((s) => s.history);
  const [ref, size] = useSize<HTMLDivElement>();
  const last = history[history.length - 1];
  const chartH = Math.max(80, Math.floor((size.height - 4) / 2));
  return (
    <>
      <div className="train-stats" data-testid="train.stats">
        <span data-testid="train.step.count" data-step={last?.step ?? 0}>
          step {last?.step ?? 0}
        </span>
        <span>loss {last ? last.loss.toFixed(3) : '—'}</span>
        <span>acc {last ? `${(last.accuracy * 100).toFixed(1)}%` : '—'}</span>
        <span data-testid="train.speed">{last ? `${last.samplesPerSec.toFixed(0)} samples/s` : '— samples/s'}</span>
        {last?.threaded !== undefined && (
          <span
            data-testid="train.threaded"
            data-share={last.threaded}
            title="Steps since the last report that ran on the kernel threads; the others ran on one thread, which timed faster (another program busy on the cores)"
          >
            {`${Math.round(100 * last.threaded)}% on threads`}
          </span>
        )}
        <ThreadsControl />
      </div>
      <div className="train-charts" ref={ref}>
        {size.width > 0 && (
          <>
            <LineChart
              width={size.width}
              height={chartH}
              yLabel="loss"
              testId="train.loss"
              series={[{ label: 'loss', color: '#c0392b', points: history.map((m) => [m.step, m.loss]) }]}
            />
            <LineChart
              width={size.width}
              height={chartH}
              yLabel="accuracy"
              yMax={1}
              testId="train.accuracy"
              series={[
                { label: 'train', color: TRAIN_COLOR, points: history.map((m) => [m.step, m.accuracy]) },
                {
                  label: lastEvaluation(history).label,
                  color: TEST_COLOR,
                  points: history.filter((m) => m.testAccuracy !== undefined).map((m) => [m.step, m.testAccuracy!]),
                },
              ]}
            />
          </>
        )}
      </div>
      <AccuracyLegend history={history} />
    </>
  );
}

const STATUS_TEXT: Record<TrainingStatus, string> = {
  unavailable: 'training runtime not available yet',
  idle: 'press start: the training worker loads on demand',
  loading: 'loading…',
  ready: 'ready to train this plan',
  running: 'training…',
  paused: 'paused',
  error: 'error',
};

/** Where the weights the page trains come from (the same model the graph, timeline and firmware show). */
function WeightsLine() {
  const w = usePlayground((s) => s.compiled.weights);
  const classes = usePlayground((s) => s.experiment.classes);
  const imported = usePlayground((s) => s.experiment.model === IMPORTED);
  if (!w) return null;
  const fresh = imported && importedKeepsClassifier(classes) === false;
  const sha = w.sha256 ? `, sha256 ${w.sha256.slice(0, 12)}…` : '';
  const text =
    w.status === 'loading'
      ? `loading the pretrained backbone (${w.fileName})…`
      : w.status === 'error'
        ? (w.error ?? 'the weights could not be loaded')
        : w.origin === 'backbone'
          ? `starts from the pretrained backbone (${w.fileName}${sha}) with a fresh ${classes}-class classifier`
          : `starts from your model file ${w.fileName}${sha} (${fresh ? `a fresh ${classes}-class classifier` : 'its classifier kept'})`;
  return (
    <p className={`hint weights-${w.status}`} data-testid="train.weights" data-status={w.status}>
      {text}
    </p>
  );
}

export function TrainingPanel() {
  const [tab, setTab] = useState<'train' | 'data'>('train');
  return (
    <section className="panel training" aria-label="Training" id="panel-training" tabIndex={-1}>
      <Tabs<'train' | 'data'>
        label="Train or your data"
        value={tab}
        onChange={setTab}
        items={[
          { key: 'train', label: 'Train', testId: 'train.tab' },
          { key: 'data', label: 'Your data', testId: 'data.tab' },
        ]}
      >
        <TabBody tab={tab} />
      </Tabs>
    </section>
  );
}

function TabBody({ tab }: { tab: 'train' | 'data' }) {
  const status = useTraining((s) => s.status);
  const message = useTraining((s) => s.message);
  return (
    <>
      <p className={`train-status ${status}`} data-testid="train.status" data-status={status} role="status">
        {message || STATUS_TEXT[status]}
      </p>
      <WeightsLine />
      <DataLine />
      {tab === 'train' ? (
        <>
          <Controls />
          <HyperParameters />
          <Curves />
        </>
      ) : (
        <YourData />
      )}
    </>
  );
}
