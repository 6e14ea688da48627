import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { JobInfo } from '../../../shared/api';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { ImportForm } from '../components/ImportForm';
import { ImportResultView, isImportResult } from '../components/ImportResult';
import { JobPanel } from '../components/JobPanel';
import { VerifyResultView, isVerifyResult } from '../components/VerifyResult';
import { useDrafts } from '../state/drafts';
import { useJob, useJobs } from '../state/jobs';
import { ActingOnly } from '../components/SignInHint';
import { useAction } from '../state/useAction';

function verifyResult(job: JobInfo) {
  return isVerifyResult(job.result) ? <VerifyResultView result={job.result} /> : null;
}

function importResult(job: JobInfo) {
  return isImportResult(job.result) ? <ImportResultView result={job.result} /> : null;
}

export function VerifyImport() {
  const v = useDrafts(useShallow((s) => s.verify));
  const setV = useDrafts((s) => s.setVerify);
  const importJobId = useDrafts((s) => s.import.jobId);
  const setImportJob = (jobId: string | null) => useDrafts.getState().setImport({ jobId });
  const job = useJob(v.jobId);
  const { busy: submitting, error, run } = useAction();

  const dir = v.dir.trim();
  const running = job?.state === 'running';
  const verifiedOk = job?.state === 'succeeded' && isVerifyResult(job.result) && job.result.ok;
  const importDir = verifiedOk && v.jobDir === dir ? v.jobDir : null;
  const stale = verifiedOk && v.jobDir !== dir;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!dir || running || submitting) return;
    await run(async () => {
      const created = await api.invoke('bundle:verify', { dir });
      useJobs.getState().seed(created);
      setV({ jobId: created.id, jobDir: dir });
      setImportJob(null);
    });
  };

  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Verify &amp; import</h1>
        <p className="lede">
          Check every file of a received bundle against its manifest, then push its images to the internal registry,
          load them into Docker, or place model weights on disk.
        </p>
      </header>
      <form className="panel form" onSubmit={submit} noValidate>
        <div className="panel-title">
          <h2>1 · Verify</h2>
        </div>
        <div className="form-row">
          <Field label="Bundle directory" htmlFor="verify-dir" hint={stale ? <span className="text-bad">Changed since the last verification; verify again before importing.</span> : 'The directory holding the bundle manifest, e.g. the mounted media.'} wide>
            <input id="verify-dir" data-testid="verify-dir" spellCheck={false} value={v.dir} onChange={(e) => setV({ dir: e.target.value })} placeholder="/media/ferry-vol1" />
          </Field>
          <ActingOnly to="verify (the result is recorded as yours)">
            <button type="submit" className="btn btn-primary" data-testid="verify-submit" disabled={!dir || running || submitting}>
              {submitting ? 'Starting…' : running ? 'Verifying…' : 'Verify'}
            </button>
          </ActingOnly>
        </div>
        {error != null && <ErrorBox title="Could not start verification" error={toShape(error)} testId="verify-error" />}
      </form>
      {/* Once an import starts, the verification collapses to its verdict: one live job per screen. */}
      {v.jobId && !importJobId && <JobPanel jobId={v.jobId} result={verifyResult} />}
      {v.jobId && importJobId && job && isVerifyResult(job.result) && (
        <section className="panel">
          <VerifyResultView result={job.result} />
        </section>
      )}
      <ImportForm dir={importDir} />
      {importJobId && <JobPanel jobId={importJobId} result={importResult} />}
    </div>
  );
}
