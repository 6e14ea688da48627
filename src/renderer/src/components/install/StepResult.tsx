import type { EgressResultView } from '../../../../shared/api-install';
import { DataTable } from '../DataTable';

function isEgress(v: unknown): v is EgressResultView[] {
  return Array.isArray(v) && v.every((r) => typeof r === 'object' && r !== null && 'target' in r && 'expect' in r && 'outcome' in r);
}

function Egress({ results }: { results: EgressResultView[] }) {
  return (
    <DataTable testId="install-egress-results" columns={['Container', 'Target', 'Expected', 'Outcome', 'Detail']}>
      {results.map((r) => (
        <tr key={`${r.container} ${r.target}`} data-ok={r.ok}>
          <td className="mono">{r.container}</td>
          <td className="mono">{r.target}</td>
          <td>{r.expect}</td>
          <td>
            <span className={`badge badge-${r.ok ? 'good' : 'bad'}`}>{r.outcome}</span>
          </td>
          <td className="muted wrap">{r.detail}</td>
        </tr>
      ))}
    </DataTable>
  );
}

type Row = Record<string, string | number | boolean | null>;
const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** A list of flat records (pushed images, placed models, secrets…): shown as a table. */
function isRows(v: unknown): v is Row[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && Object.values(r).every(scalar));
}

function Rows({ name, rows }: { name: string; rows: Row[] }) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="table-scroll">
      <div className="table-caption">
        <span>{name}</span>
      </div>
      <table className="table">
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {keys.map((k) => (
                <td key={k} className={typeof r[k] === 'number' ? 'num' : 'mono'}>
                  {r[k] === undefined ? '' : String(r[k])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v, null, 2);
}

/** A step's result: egress tables as tables, everything else as label/value rows. */
export function StepResult({ result, skip = [] }: { result: Record<string, unknown>; skip?: string[] }) {
  const entries = Object.entries(result).filter(([k]) => !skip.includes(k));
  if (entries.length === 0) return null;
  return (
    <div className="step-result" data-testid="step-result">
      <dl className="kv">
        {entries.map(([k, v]) =>
          isEgress(v) || isRows(v) ? null : (
            <div key={k} className="kv-row">
              <dt>{k}</dt>
              <dd>{typeof v === 'object' && v !== null ? <pre className="mono pre-small">{text(v)}</pre> : <span className="mono">{text(v)}</span>}</dd>
            </div>
          ),
        )}
      </dl>
      {entries.map(([k, v]) => (isEgress(v) ? <Egress key={k} results={v} /> : isRows(v) ? <Rows key={k} name={k} rows={v} /> : null))}
    </div>
  );
}
