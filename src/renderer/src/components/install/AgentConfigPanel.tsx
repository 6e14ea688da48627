import type { AgentConfigView, ChecklistItem } from '../../../../shared/api-install';
import { Path } from '../Mono';
import { CommandBlock } from './CommandBlock';

/** The agent-config step's result, when it has the expected shape. */
export function agentConfigOf(result: Record<string, unknown> | undefined): AgentConfigView | null {
  if (!result || typeof result.yaml !== 'string' || typeof result.path !== 'string') return null;
  const checklist = Array.isArray(result.checklist) ? (result.checklist as ChecklistItem[]).filter((c) => c && typeof c.text === 'string') : [];
  return { path: result.path, yaml: result.yaml, checklist };
}

/** `.gitlab/duo/agent-config.yml` for offline flow execution, and what the runner needs. */
export function AgentConfigPanel({ config }: { config: AgentConfigView }) {
  return (
    <section className="panel" aria-labelledby="install-agent-title" data-testid="install-agent-config">
      <div className="panel-title">
        <h2 id="install-agent-title">Flow execution: agent-config.yml</h2>
        <span className="muted">
          Commit as <code className="mono">.gitlab/duo/agent-config.yml</code> in the project; written to <Path value={config.path} />
        </span>
      </div>
      <CommandBlock caption="agent-config.yml" value={config.yaml} copyLabel="agent-config.yml" copyTestId="install-agent-copy" testId="install-agent-yaml" />
      {config.checklist.length > 0 && (
        <>
          <h3>Runner checklist</h3>
          <ul className="checklist" data-testid="install-checklist">
            {config.checklist.map((c) => (
              <li key={c.id} data-testid="install-checklist-item">
                <label>
                  <input type="checkbox" aria-describedby={c.detail ? `check-${c.id}` : undefined} />
                  {c.text}
                </label>
                {c.detail && (
                  <div className="field-hint" id={`check-${c.id}`}>
                    {c.detail}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
