/** The page shell. */
import { KernelStatus } from './KernelStatus';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>TinyTrain Playground</h1>
        <KernelStatus />
      </header>
    </div>
  );
}
