/**
 * Monaco, bundled (no CDN) and loaded only when the code panel opens: the editor API, the C tokenizer and the
 * editor worker from the monaco-editor package. Read-only; the hovered layer's lines are highlighted, and
 * pointing at a line highlights its layer everywhere else.
 */
import Editor, { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/languages/definitions/cpp/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { useEffect, useRef } from 'react';
import type { SourceFile } from '../../state/plan-text';

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };
loader.config({ monaco });

export interface MonacoViewProps {
  file: SourceFile;
  hoverLayer: string | null;
  onHoverLayer(layer: string | null): void;
}

export default function MonacoView({ file, hoverLayer, onHoverLayer }: MonacoViewProps) {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const fileRef = useRef(file);
  fileRef.current = file;
  const hoverRef = useRef(onHoverLayer);
  hoverRef.current = onHoverLayer;

  useEffect(() => {
    const ed = editorRef.current;
    if (!ed) return;
    const ranges: monaco.editor.IModelDeltaDecoration[] = [];
    let first = 0;
    file.lineLayers.forEach((l, i) => {
      if (l && l === hoverLayer) {
        if (!first) first = i + 1;
        ranges.push({
          range: new monaco.Range(i + 1, 1, i + 1, 1),
          options: { isWholeLine: true, className: 'code-hover-line' },
        });
      }
    });
    decorations.current?.set(ranges);
    if (first) ed.revealLineInCenterIfOutsideViewport(first);
  }, [hoverLayer, file]);

  return (
    <Editor
      height="100%"
      language={file.language === 'c' ? 'cpp' : file.language}
      value={file.text}
      theme="vs"
      loading={<div className="loading">loading editor…</div>}
      options={{
        readOnly: true,
        minimap: { enabled: false },
        fontSize: 12,
        scrollBeyondLastLine: false,
        wordWrap: 'off',
      }}
      onMount={(ed) => {
        editorRef.current = ed;
        decorations.current = ed.createDecorationsCollection();
        ed.onMouseMove((e) => {
          const line = e.target.position?.lineNumber;
          hoverRef.current(line ? (fileRef.current.lineLayers[line - 1] ?? null) : null);
        });
        ed.onMouseLeave(() => hoverRef.current(null));
      }}
    />
  );
}
