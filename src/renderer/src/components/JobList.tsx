import type { JobInfo } from '../../../shared/api';
import { useApp, type Screen } from '../state/app';
import { useDrafts } from '../state/drafts';
import { useJobList } from '../state/jobs';
import { Badge } from './Badge';
import { Progress } from './Progress';

const SHOWN = 6;
const KIND: Record<JobInfo['kind'], string> = {
  'bundle.create': 'Create',
  'bundle.verify': 'Verify',
  'bundle.import': 'Import',
  'media.write': 'Write media',
  'media.verify': 'Verify media',
  'media.assemble': 'Assemble',
  'install.run': 'Install',
  'upgrade.run': 'Upgrade',
};

/** Keep the end of a path, where the distinguishing part usually is. */
function tail(s: string, n = 24): string {
  return s.length > n ? `…${s.slice(-(n - 1))}` : s;
}

function open(job: JobInfo): void {
  const d = useDrafts.getState();
  let screen: Screen = 'create';
  if (job.kind === 'install.run') screen = 'install';
  else if (job.kind === 'bundle.create') d.setCreate({ jobId: job.id });
  else if (job.kind === 'bundle.verify') {
    screen = 'verify';
    if (d.verify.jobId !== job.id) d.setVerify({ jobId: job.id, jobDir: null });
  } else {
    screen = 'verify';
    d.setImport({ jobId: job.id });
  }
  useApp.getState().go(screen);
}

/** Recent jobs in the sidebar; click one to follow it on its screen. */
export function JobList() {
  const jobs = useJobList().slice(0, SHOWN);
  if (jobs.length === 0) return null;
  return (
    <div className="nav-group">
      <div className="nav-heading">Recent jobs</div>
      <ul className="joblist">
        {jobs.map((j) => (
          <li key={j.id}>
            <button type="button" className="joblist-item" onClick={() => open(j)} title={`${j.title} — ${j.phase}`} data-testid="joblist-item">
              <span className="joblist-title">{KIND[j.kind]}</span>
              <Badge state={j.state} />
              <span className="joblist-sub mono">{tail(j.title.replace(/^(Create bundle|Verify|Import)\s+/, ''))}</span>
              {j.state === 'running' && <Progress done={j.bytesDone} total={j.bytesTotal} slim />}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
