import { useEffect, useState } from 'react';
import type { ApprovalStateView } from '../../../../shared/api-overrides';
import { api } from '../../api/client';

/**
 * Before import, the offline admin sees again every blocking finding a reviewer overrode
 * (file, rule, reason, who), and any that no override covers (import will refuse those).
 */
export function OverrideNotice({ dir }: { dir: string }) {
  const [state, setState] = useState<ApprovalStateView | null>(null);
  useEffect(() => {
    let live = true;
    api.invoke('bundle:approval', { dir }).then(
      (s) => live && setState(s),
      () => live && setState(null),
    );
    return () => {
      live = false;
    };
  }, [dir]);
  if (!state || state.overrides.length + state.unresolved.length === 0) return null;
  return (
    <div className="alert alert-bad" role="alert" data-testid="import-overrides">
      <div className="alert-title">
        {state.overrides.length > 0 ? `This bundle carries ${state.overrides.length} override(s) of blocking scan findings` : 'Blocking scan findings without an override'}
      </div>
      <div className="alert-message">
        <ul>
          {state.overrides.map((o, i) => (
            <li key={`o:${i}`} data-testid="import-override">
              <code className="mono">{o.file}</code> · <code className="mono">{o.rule}</code>: {o.detail}
              <br />
              accepted by <strong>{o.by.name}</strong> at {o.at}: “{o.reason}”
            </li>
          ))}
          {state.unresolved.map((f, i) => (
            <li key={`u:${i}`} data-testid="import-unresolved">
              <strong>BLOCKING</strong> <code className="mono">{f.file}</code> · <code className="mono">{f.rule}</code>: {f.detail} — no override from a reviewer pinned here; import will refuse.
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
