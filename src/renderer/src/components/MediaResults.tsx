import type { MediaPlanView, MediaWriteView } from '../../../shared/api-media';
import { formatBytes } from '../../../shared/format';
import { Badge } from './Badge';
import { Path, ShortId } from './Mono';
import { DataTable } from './DataTable';

export function PlanTable({ plan }: { plan: MediaPlanView }) {
  return (
    <div data-testid="media-plan">
      <div className="table-caption">
        <span>
          {plan.files} files, {formatBytes(plan.bytes)} → {plan.volumes.length} volume(s), {plan.fs} rules
        </span>
        <span className="muted" data-testid="media-plan-kit">
          {plan.kit ? `offline kit: ${plan.kit.files} files, ${formatBytes(plan.kit.bytes)} on volume 1` : 'without the offline kit'}
        </span>
      </div>
      <DataTable columns={['Volume', { label: 'Capacity', className: 'num' }, { label: 'Files', className: 'num' }, { label: 'Parts', className: 'num' }, { label: 'Bytes', className: 'num' }]}>
        {plan.volumes.map((v) => (
          <tr key={v.index} data-testid="media-plan-volume">
            <td>{v.index}</td>
            <td className="num">{formatBytes(v.capacity)}</td>
            <td className="num">{v.files}</td>
            <td className="num">{v.parts}</td>
            <td className="num">{formatBytes(v.bytes)}</td>
          </tr>
        ))}
      </DataTable>
      {plan.split.map((s) => (
        <p className="field-hint" key={s.path}>
          Split: <code className="mono">{s.path}</code> across volume {s.volumes.join(', ')}
        </p>
      ))}
    </div>
  );
}

export function isWriteView(v: unknown): v is MediaWriteView {
  return typeof v === 'object' && v !== null && Array.isArray((v as MediaWriteView).volumes) && typeof (v as MediaWriteView).complete === 'boolean';
}

/** Per volume: where, how much, whether it read back identical, and its ids for the custody record. */
export function WriteResultView({ r }: { r: MediaWriteView }) {
  return (
    <div className={`verdict ${r.complete ? 'verdict-ok' : 'verdict-bad'}`}>
      <div className="verdict-head">
        <span className="verdict-word" data-testid="media-write-result">
          {r.complete ? 'WRITTEN' : 'INCOMPLETE'}
        </span>
        <div className="verdict-text">
          <strong>{r.complete ? 'Every volume was written and read back identical.' : 'Not everything fits on the media given.'}</strong>
          <span>
            {r.volumes.length} volume(s), {formatBytes(r.bytes)}
            {r.remaining && ` · still to write: ${r.remaining.files} file(s), ${formatBytes(r.remaining.bytes)} — add more targets`}
          </span>
          {r.volumes
            .filter((v) => v.kit)
            .map((v) => (
              <span key={v.volumeId} className="mono" data-testid="media-write-kit">
                offline kit on volume {v.volume}: ferry {v.kit!.version}, {v.kit!.platform}, node {v.kit!.nodeVersion}, kit {v.kit!.sha256.slice(0, 16)}…
              </span>
            ))}
        </div>
      </div>
      <DataTable columns={['Volume', 'Target', { label: 'Files', className: 'num' }, { label: 'Bytes', className: 'num' }, 'Read back', 'State', 'Volume id / serial']}>
        {r.volumes.map((v) => (
          <tr key={v.volumeId} data-testid="media-volume" title={v.note}>
            <td>
              {v.volume} of {v.count}
            </td>
            <td>
              <Path value={v.dir} />
            </td>
            <td className="num">{v.files}</td>
            <td className="num">{formatBytes(v.bytes)}</td>
            <td>
              <Badge state={v.readBackOk ? 'ok' : 'bad'}>{v.readBackOk ? 'identical' : 'MISMATCH'}</Badge>
            </td>
            <td>
              <Badge state={v.state === 'complete' ? 'ok' : 'bad'}>{v.state}</Badge>
            </td>
            <td>
              <ShortId value={v.volumeId} n={8} /> {v.mediaSerial && <span className="muted">· {v.mediaSerial}</span>}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
