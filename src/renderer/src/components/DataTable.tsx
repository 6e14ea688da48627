import type { ReactNode } from 'react';

/** A header cell: its text, or the text with a class (`num` right-aligns, `col-kind` …) or an aria-label; '' is an empty header. */
export type Column = string | { label?: ReactNode; className?: string; ariaLabel?: string };

interface DataTableProps {
  columns: Column[];
  /** The body rows. */
  children: ReactNode;
  /** Rows of a <tfoot> (totals). */
  foot?: ReactNode;
  /** A <caption> (for screen readers: pass it visually hidden). */
  caption?: ReactNode;
  /** Wraps the table so a wide one scrolls sideways. */
  scroll?: boolean;
  testId?: string;
  /** Added to `table`. */
  className?: string;
}

/** The app's data table: one header row from `columns`, then the body rows. */
export function DataTable({ columns, children, foot, caption, scroll = false, testId, className }: DataTableProps) {
  const table = (
    <table className={className ? `table ${className}` : 'table'} data-testid={testId}>
      {caption}
      <thead>
        <tr>
          {columns.map((c, i) =>
            typeof c === 'string' ? (
              <th key={i}>{c || null}</th>
            ) : (
              <th key={i} className={c.className} aria-label={c.ariaLabel}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
      {foot !== undefined && <tfoot>{foot}</tfoot>}
    </table>
  );
  return scroll ? <div className="table-scroll">{table}</div> : table;
}
