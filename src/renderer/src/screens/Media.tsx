import { useEffect, useState, type FormEvent } from 'react';
import type { DriveView, MediaPlanView } from '../../../shared/api-media';
import type { KitCoverageView } from '../../../shared/api-review';
import { KitCoverage } from '../components/review/KitCoverage';
import { formatBytes } from '../../../shared/format';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { JobPanel } from '../components/JobPanel';
import { PlanTable, WriteResultView, isWriteView } from '../components/MediaResults';
import { VerifyResultView } from '../components/VerifyResult';
import { useJob } from '../state/jobs';
import { useDrafts } from '../state/drafts';
import { ActingOnly } from '../components/SignInHint';
import { FolderPicker } from '../components/FolderPicker';
import { RecentBundles } from '../components/RecentBundles';
import { SerialSeal } from '../components/SerialSeal';

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

function Drives() {
  const [drives, setDrives] = useState<DriveView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = () => void api.invoke('media:detect', {}).then((r) => setDrives(r.drives), setError);
  useEffect(refresh, []);
  return (
    <section className="panel">
      <div className="panel-title">
        <h2>Removable drives</h2>
        <button className="btn" type="button" onClick={refresh} data-testid="media-detect">
          Refresh
        </button>
      </div>
      {error !== null && <ErrorBox error={toShape(error)} />}
      {drives && drives.length === 0 && <p className="muted">No removable drives detected. Any mounted folder can be a target.</p>}
      {drives && drives.length > 0 && (
        <table className="table">
          <tbody>
            {drives.flatMap((d) =>
              d.volumes.map((v) => (
                <tr key={v.device} data-testid="media-drive">
                  <td>{[d.vendor, d.model].filter(Boolean).join(' ') || d.device}</td>
                  <td className="mono">{v.device}</td>
                  <td>{v.fstype ?? 'no filesystem'}</td>
                  <td className="mono">{v.mountpoint ?? 'not mounted'}</td>
                  <td className="num">{v.free !== undefined ? `${formatBytes(v.free)} free` : formatBytes(d.size)}</td>
                  <td className="muted">{d.serial && `serial ${d.serial}`}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Operator: plan and write a bundle onto media; offline admin: verify the volumes. */
export function Media() {
  const draft = useDrafts((st) => st.media);
  const setMedia = useDrafts((st) => st.setMedia);
  const { dir, targets, volumes, writeJobId: writeJob, verifyJobId: verifyJob } = draft;
  const setDir = (v: string) => setMedia({ dir: v });
  const setTargets = (v: string) => setMedia({ targets: v });
  const setVolumes = (v: string) => setMedia({ volumes: v });
  const setWriteJob = (id: string) => setMedia({ writeJobId: id });
  const setVerifyJob = (id: string) => setMedia({ verifyJobId: id });
  const [volumeSize, setVolumeSize] = useState('');
  const [fs, setFs] = useState('fat32');
  const [unapproved, setUnapproved] = useState(false);
  const [withKit, setWithKit] = useState(true);
  const [unapprovedReason, setUnapprovedReason] = useState('');
  const [plan, setPlan] = useState<MediaPlanView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const writeDone = useJob(writeJob);
  const writeResult = writeDone?.state === 'succeeded' && isWriteView(writeDone.result) ? writeDone.result : null;

  const guard = (fn: () => Promise<void>) => async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };
  const doPlan = guard(async () => setPlan(await api.invoke('media:plan', { dir: dir.trim(), volumeSize: volumeSize.trim(), fs, kit: withKit })));
  const doWrite = guard(async () => {
    const job = await api.invoke('media:write', {
      dir: dir.trim(),
      targets: lines(targets),
      fs,
      kit: withKit,
      ...(volumeSize.trim() ? { volumeSize: volumeSize.trim() } : {}),
      ...(unapproved ? { unapprovedReason: unapprovedReason.trim() } : {}),
    });
    setWriteJob(job.id);
  });
  const doVerify = guard(async () => setVerifyJob((await api.invoke('media:verify', { dirs: lines(volumes) })).id));

  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Media</h1>
        <p className="muted">Write a bundle across one or more media — hashed as written, read back, continued on the next medium when one fills — and verify volumes on arrival.</p>
      </header>
      <Drives />
      <form className="panel form" onSubmit={doWrite}>
        <h2>Write a bundle</h2>
        <div className="form-grid">
          <Field label="Bundle directory" htmlFor="media-dir" hint={<RecentBundles onPick={setDir} current={dir.trim()} />}>
            <FolderPicker id="media-dir" testId="media-dir" value={dir} onChange={setDir} />
          </Field>
          <Field label="Targets" htmlFor="media-targets" hint="Mounted media or folders, one per line, one volume each.">
            <FolderPicker id="media-targets" testId="media-targets" multiline value={targets} onChange={setTargets} />
          </Field>
          <Field label="Volume size" htmlFor="media-size" hint="e.g. 4.7G, 16GiB; empty = each target's free space.">
            <input id="media-size" data-testid="media-size" value={volumeSize} onChange={(e) => setVolumeSize(e.target.value)} />
          </Field>
          <Field label="Filesystem rules" htmlFor="media-fs" hint="FAT32 splits files of 4 GiB or more.">
            <select id="media-fs" data-testid="media-fs" value={fs} onChange={(e) => setFs(e.target.value)}>
              {['fat32', 'exfat', 'ntfs', 'ext4'].map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </Field>
        </div>
        <div className="field field-wide" data-testid="media-kit-choice">
          <label>
            <input type="checkbox" data-testid="media-kit" checked={withKit} onChange={(e) => setWithKit(e.target.checked)} /> Put the offline kit on volume 1 (under ferry/: runs Ferry on the offline host with nothing installed)
          </label>
        </div>
        <div className="field field-wide" data-testid="media-unapproved-choice">
          <label>
            <input type="checkbox" data-testid="media-unapproved" checked={unapproved} onChange={(e) => setUnapproved(e.target.checked)} /> Write although the bundle is not approved
          </label>
          {unapproved && (
            <Field label="Why must it go on media unapproved?" htmlFor="media-unapproved-reason" hint="Required (at least 10 characters); recorded in the custody log with your name. The offline side still refuses it unless its policy allows." wide>
              <textarea id="media-unapproved-reason" data-testid="media-unapproved-reason" rows={2} value={unapprovedReason} onChange={(e) => setUnapprovedReason(e.target.value)} />
            </Field>
          )}
        </div>
        <div className="form-actions">
          <button className="btn" type="button" onClick={doPlan} disabled={!dir.trim() || !volumeSize.trim()} data-testid="media-plan-submit">
            Plan
          </button>
          <ActingOnly to="write media">
            <button className="btn btn-primary" type="submit" disabled={!dir.trim() || lines(targets).length === 0 || (unapproved && unapprovedReason.trim().length < 10)} data-testid="media-write-submit">
              Write
            </button>
          </ActingOnly>
        </div>
        {error !== null && <ErrorBox error={toShape(error)} />}
        {plan && <PlanTable plan={plan} />}
      </form>
      {writeJob && <JobPanel jobId={writeJob} result={(j) => (isWriteView(j.result) ? <WriteResultView r={j.result} /> : null)} onRerun={setWriteJob} />}
      {writeResult && writeResult.volumes.length > 0 && <SerialSeal key={writeJob} write={writeResult} />}
      <form className="panel form" onSubmit={doVerify}>
        <h2>Verify volumes</h2>
        <Field label="Volume directories" htmlFor="media-volumes" hint="Any order; a missing or duplicate volume is named.">
          <FolderPicker id="media-volumes" testId="media-volumes" multiline value={volumes} onChange={setVolumes} />
        </Field>
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={lines(volumes).length === 0} data-testid="media-verify-submit">
            Verify volumes
          </button>
        </div>
      </form>
      {verifyJob && (
        <JobPanel
          jobId={verifyJob}
          onRerun={setVerifyJob}
          result={(j) => {
            const r = j.result as { ok: boolean; bundleId: string | null; checkedFiles: number; checkedBytes: number; problems: { kind: string; volume: string; path?: string; detail: string }[]; kit?: KitCoverageView } | undefined;
            return r ? (
              <>
                <VerifyResultView result={{ ...r, problems: r.problems.map((p) => ({ kind: 'mismatch', path: `${p.volume}${p.path ? ` · ${p.path}` : ''}`, detail: `${p.kind}: ${p.detail}` })) }} />
                {r.kit && <KitCoverage kit={r.kit} testId="media-verify-kit" />}
              </>
            ) : null;
          }}
        />
      )}
    </div>
  );
}
