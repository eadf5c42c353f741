/** Messages about the opened link and about the current choice (why it is impossible or does not fit). */
import { usePlayground } from '../state/playground';

export function Notices() {
  const urlNotices = usePlayground((s) => s.urlNotices);
  const dismiss = usePlayground((s) => s.dismissUrlNotices);
  const compiled = usePlayground((s) => s.compiled);
  const editNotices = usePlayground((s) => s.editNotices);
  const awaited = usePlayground((s) => s.awaitedLink);
  // a link that only waits for its model file is not a broken link
  const onlyWaiting = awaited !== null && urlNotices.every((n) => n.text === awaited.text);
  return (
    <div className="notices">
      {urlNotices.length > 0 && (
        <div className="notice warn" role="alert" data-testid="notice.url">
          <strong>
            {onlyWaiting
              ? 'This link needs its model file; a backbone stands in until it is open.'
              : 'This link had problems; the rest of it was restored.'}
          </strong>
          <ul>
            {urlNotices.slice(0, 6).map((n, i) => (
              <li key={i}>{n.text}</li>
            ))}
            {urlNotices.length > 6 && <li>…and {urlNotices.length - 6} more.</li>}
          </ul>
          <button onClick={dismiss} data-testid="notice.url.dismiss" aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {editNotices.map((n, i) => (
        <div className="notice warn" key={`edit${i}`} role="alert" data-testid="notice.edit">
          {n.text}
        </div>
      ))}
      {compiled.error && (
        <div className="notice error" role="alert" data-testid="notice.compile">
          <strong>Impossible:</strong> {compiled.error}
        </div>
      )}
      {compiled.advice.map((a, i) => (
        <div className="notice info" key={i} data-testid="notice.fit">
          {a}
        </div>
      ))}
    </div>
  );
}
