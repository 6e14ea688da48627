import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export type TabItem<T extends string> = { id: T; label: string; testId?: string };

/**
 * WAI-ARIA tabs: a tablist of tabs with aria-selected/aria-controls and a roving tabindex (only the
 * selected tab is a Tab stop); Left/Right move to the previous/next tab (wrapping), Home/End to the
 * first/last, and moving selects (automatic activation). The selected tab's panel follows.
 */
export function Tabs<T extends string>({
  label,
  tabs,
  selected,
  onSelect,
  children,
}: {
  label: string;
  tabs: TabItem<T>[];
  selected: T;
  onSelect: (id: T) => void;
  /** The selected tab's content. */
  children: ReactNode;
}) {
  const base = useId();
  const refs = useRef(new Map<T, HTMLButtonElement>());
  const tabId = (id: T) => `${base}-tab-${id}`;
  const panelId = (id: T) => `${base}-panel-${id}`;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = tabs.findIndex((t) => t.id === selected);
    const next: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 };
    if (!(e.key in next)) return;
    e.preventDefault();
    const to = tabs[(next[e.key]! + tabs.length) % tabs.length]!;
    onSelect(to.id);
    refs.current.get(to.id)?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label} onKeyDown={onKeyDown}>
        {tabs.map((t) => {
          const on = t.id === selected;
          return (
            <button
              key={t.id}
              ref={(el) => {
                if (el) refs.current.set(t.id, el);
                else refs.current.delete(t.id);
              }}
              type="button"
              role="tab"
              id={tabId(t.id)}
              aria-selected={on}
              // Only the selected tab's panel is rendered, so only it names one (no dangling id).
              aria-controls={on ? panelId(t.id) : undefined}
              tabIndex={on ? 0 : -1}
              className={`tab${on ? ' active' : ''}`}
              data-testid={t.testId}
              onClick={() => onSelect(t.id)}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={panelId(selected)} aria-labelledby={tabId(selected)} className="tabpanel">
        {children}
      </div>
    </>
  );
}
