/**
 * The alert toasts (top right): one per firing that reached the cockpit over the WebSocket's
 * `alerts` channel, dismissed by hand. In the main chunk (a firing may come before the side
 * panels are loaded); the alerts panel itself is in the side panels' chunk.
 */
import { useCockpit, useCockpitApi } from './context';

export function AlertToasts() {
  const { controller } = useCockpitApi();
  const toasts = useCockpit((s) => s.alertToasts);
  if (toasts.length === 0) return null;
  return (
    <div className="alert-toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className="alert-toast" role="status" data-testid="alert-toast">
          <strong>{t.name || t.kind.replace('_', ' ')}</strong> {t.message}
          <button aria-label="dismiss" onClick={() => controller.dismissAlert(t.id)}>✕</button>
        </div>
      ))}
    </div>
  );
}
