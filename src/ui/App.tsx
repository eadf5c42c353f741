/**
 * The page: skip links, header (figures, share, kernel status, what-is-this), the start-here steps, the model
 * and scheme editor with its per-layer table, graph or code over the memory timeline, and training. Three
 * columns on a wide screen, two from 900 px, one stacked column below that (styles.css).
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
import { QuantizeStep } from './QuantizeStep';
import { ShareButton } from './ShareButton';
import { About, StartHere, rememberStartHere, startHereDismissed } from './StartHere';
import { SearchPanel } from './search/SearchPanel';
import { Tabs } from './Tabs';
import { MemoryTimeline } from './timeline/MemoryTimeline';
import { TrainingPanel } from './training/TrainingPanel';

const SKIP_LINKS = [
  ['panel-editor', 'editor'],
  ['panel-graph', 'graph, code and search'],
  ['panel-memory', 'memory'],
  ['panel-training', 'training'],
] as const;

function SkipLinks() {
  const jump = (ev: React.MouseEvent, id: string) => {
    const el = document.getElementById(id);
    if (!el) return;
    ev.preventDefault();
    el.focus();
  };
  return (
    <nav className="skip-links" aria-label="Skip to a panel">
      {SKIP_LINKS.map(([id, label]) => (
        <a key={id} href={`#${id}`} onClick={(ev) => jump(ev, id)} data-testid={`skip.${id}`}>
          Skip to {label}
        </a>
      ))}
    </nav>
  );
}

function CenterTabs() {
  const [tab, setTab] = useState<'graph' | 'code' | 'search'>('graph');
  return (
    <section className="panel center-top" aria-label="Graph, code and search" id="panel-graph" tabIndex={-1}>
      <Tabs<'graph' | 'code' | 'search'>
        label="Graph, code or search"
        value={tab}
        onChange={setTab}
        items={[
          { key: 'graph', label: 'Graph', testId: 'tab.graph' },
          { key: 'code', label: 'Code', testId: 'tab.code' },
          { key: 'search', label: 'Search', testId: 'tab.search' },
        ]}
      >
        {tab === 'graph' ? <GraphView /> : tab === 'code' ? <CodePanel /> : <SearchPanel />}
      </Tabs>
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
  const [startShown, setStartShown] = useState(() => !startHereDismissed());
  const showStart = (shown: boolean) => {
    rememberStartHere(shown);
    setStartShown(shown);
  };
  return (
    <div className="app" data-testid="app">
      <SkipLinks />
      <header className="app-header">
        <h1>
          TinyTrain <span>Playground</span>
        </h1>
        <BigNumbers />
        <div className="header-right">
          <About onShowStart={() => showStart(true)} />
          <ShareButton />
          <KernelStatus />
        </div>
      </header>
      {startShown && <StartHere onDismiss={() => showStart(false)} />}
      <Notices />
      <PendingEdit />
      <QuantizeStep />
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
