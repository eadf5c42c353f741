/**
 * The page: header (figures, share, kernel status), the model and scheme editor with its per-layer table on
 * the left, graph or code over the memory timeline in the middle, training on the right.
 */
import { useEffect, useState } from 'react';
import { browserBackboneLoader } from '../state/backbones';
import { setBackboneLoader, usePlayground } from '../state/playground';
import { startTrainingSync } from '../state/training-sync';
import { startUrlSync } from '../state/url-sync';
import { BigNumbers } from './BigNumbers';
import { CodePanel } from './code/CodePanel';
import { LayerTable } from './editor/LayerTable';
import { ModelEditor } from './editor/ModelEditor';
import { GraphView } from './graph/GraphView';
import { KernelStatus } from './KernelStatus';
import { Notices } from './Notices';
import { PendingEdit } from './PendingEdit';
import { ShareButton } from './ShareButton';
import { MemoryTimeline } from './timeline/MemoryTimeline';
import { TrainingPanel } from './training/TrainingPanel';

function CenterTabs() {
  const [tab, setTab] = useState<'graph' | 'code'>('graph');
  return (
    <section className="panel center-top" aria-label="Graph and code">
      <div className="tabs" role="tablist">
        <button
          role="tab"
          aria-selected={tab === 'graph'}
          className={tab === 'graph' ? 'on' : ''}
          onClick={() => setTab('graph')}
          data-testid="tab.graph"
        >
          Graph
        </button>
        <button
          role="tab"
          aria-selected={tab === 'code'}
          className={tab === 'code' ? 'on' : ''}
          onClick={() => setTab('code')}
          data-testid="tab.code"
        >
          Code
        </button>
      </div>
      {tab === 'graph' ? <GraphView /> : <CodePanel />}
    </section>
  );
}

export function App() {
  useEffect(() => {
    setBackboneLoader(browserBackboneLoader());
    const stopUrl = startUrlSync();
    const stopTraining = startTrainingSync();
    return () => {
      stopUrl();
      stopTraining();
    };
  }, []);
  const layers = usePlayground((s) => s.compiled.plan?.layers ?? null);
  return (
    <div className="app" data-testid="app">
      <header className="app-header">
        <h1>
          TinyTrain <span>Playground</span>
        </h1>
        <BigNumbers />
        <div className="header-right">
          <ShareButton />
          <KernelStatus />
        </div>
      </header>
      <Notices />
      <PendingEdit />
      <main className="layout">
        <div className="col-left">
          <ModelEditor />
          <section className="panel table-panel" aria-label="Per-layer update">
            {layers ? <LayerTable layers={layers} /> : <p className="hint">no plan</p>}
          </section>
        </div>
        <div className="col-center">
          <CenterTabs />
          <MemoryTimeline />
        </div>
        <div className="col-right">
          <TrainingPanel />
        </div>
      </main>
    </div>
  );
}
