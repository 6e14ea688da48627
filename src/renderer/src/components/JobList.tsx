import type { JobInfo } from '../../../shared/api';
import { useApp, type Screen } from '../state/app';
import { useDrafts } from '../state/drafts';
import { useJobList } from '../state/jobs';
import { Badge } from './Badge';
import { Progress } from './Progress';
import { jobVerdict } from './verdict';

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

/** Shows a job on its screen (the screen's draft follows it). */
export function openJob(job: JobInfo): void {
  const d = useDrafts.getState();
  let screen: Screen = 'create';
  if (job.kind === 'install.run') screen = 'install';
  else if (job.kind === 'upgrade.run') screen = 'upgrade';
  else if (job.kind === 'media.write' || job.kind === 'media.verify') {
    screen = 'media';
    d.setMedia(job.kind === 'media.write' ? { writeJobId: job.id } : { verifyJobId: job.id });
  }
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

/** The job's verdict (verified, failed (2 problems), imported nothing…), not just that it ran. */
function JobBadge({ job }: { job: JobInfo }) {
  const v = jobVerdict(job);
  return <Badge state={v.tone}>{v.text}</Badge>;
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
            <button type="button" className="joblist-item" onClick={() => openJob(j)} title={`${j.title} — ${j.phase}`} data-testid="joblist-item">
              <span className="joblist-title">{KIND[j.kind]}</span>
              <JobBadge job={j} />
              <span className="joblist-sub mono">{tail(j.title.replace(/^(Create bundle|Verify|Import)\s+/, ''))}</span>
              {j.state === 'running' && <Progress done={j.bytesDone} total={j.bytesTotal} slim />}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
