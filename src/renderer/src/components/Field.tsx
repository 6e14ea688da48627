import type { ReactNode } from 'react';

/** A labelled form row with an optional hint under the control. */
export function Field({
  label,
  htmlFor,
  hint,
  children,
  wide,
}: {
  label: string;
  htmlFor: string;
  hint?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <div className={`field${wide ? ' field-wide' : ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && <div className="field-hint">{hint}</div>}
    </div>
  );
}
