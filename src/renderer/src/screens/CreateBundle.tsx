import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { JobInfo } from '../../../shared/api';
import { outputFolderPathProblem } from '../../../shared/output-folder';
import { formatBytes } from '../../../shared/format';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { FolderPicker } from '../components/FolderPicker';
import { JobPanel } from '../components/JobPanel';
import { Path } from '../components/Mono';
import { AcquireSummary } from '../components/recipe/AcquireSummary';
import { RecipeForm } from '../components/recipe/RecipeForm';
import { useApp } from '../state/app';
import { lines, useDrafts } from '../state/drafts';
import { useJob, useJobs } from '../state/jobs';
import { useRecipe, type CreateTab } from '../state/recipe';
import { ActingOnly } from '../components/SignInHint';
import { Tabs, type TabItem } from '../components/Tabs';
import { useAction } from '../state/useAction';

const MODEL_RE = /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/;

function CreateResult({ job }: { job: JobInfo }) {
  if (job.state !== 'succeeded') return null;
  // The contract types JobInfo.result as unknown; main's CreateResult is {bundleId, dir, manifestSha256, files, bytes}.
  const r = (job.result ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const id = str(r.bundleId);
  const dir = str(r.dir) ?? str(r.path) ?? str(r.outDir);
  const manifest = str(r.manifestSha256);
  return (
    <div className="alert alert-good" data-testid="create-result">
      <div className="alert-title">Bundle written</div>
      <dl className="kv">
        <dt>Bundle id</dt>
        <dd>
          <code className="mono" data-testid="create-bundle-id">
            {id ?? '—'}
          </code>
        </dd>
        <dt>Location</dt>
        <dd>{dir ? <Path value={dir} /> : '—'}</dd>
        {manifest && (
          <>
            <dt>Manifest sha256</dt>
            <dd>
              <code className="mono">{manifest}</code>
            </dd>
          </>
        )}
        <AcquireSummary result={r} />
        {typeof r.files === 'number' && (
          <>
            <dt>Contents</dt>
            <dd>
              {r.files.toLocaleString()} files{typeof r.bytes === 'number' ? ` · ${formatBytes(r.bytes)}` : ''}
            </dd>
          </>
        )}
      </dl>
      <div className="alert-hint">Next: a reviewer reads the manifest before the media leaves this station.</div>
    </div>
  );
}

const TABS: TabItem<CreateTab>[] = [
  { id: 'recipe', label: 'Recipe', testId: 'create-tab-recipe' },
  { id: 'custom', label: 'Custom images & models', testId: 'create-tab-custom' },
];

export function CreateBundle() {
  const tab = useRecipe((s) => s.tab);
  const setTab = useRecipe((s) => s.setTab);
  const info = useApp((s) => s.info);
  const d = useDrafts(useShallow((s) => s.create));
  const setD = useDrafts((s) => s.setCreate);
  const job = useJob(d.jobId);
  const { busy: submitting, error, run } = useAction();

  const hubUrl = d.hubUrl ?? info?.defaultHubUrl ?? '';
  const platform = d.platform ?? info?.defaultPlatform ?? 'linux/amd64';
  const images = lines(d.images);
  const models = lines(d.models);
  const badModels = models.filter((m) => !MODEL_RE.test(m));
  const running = job?.state === 'running';
  // A relative path is refused here; the server also refuses a folder whose parent does not exist (an unmounted drive).
  const outDirProblem = d.outDir.trim() === '' ? undefined : outputFolderPathProblem(d.outDir);
  const canSubmit =
    !submitting && !running && images.length + models.length > 0 && d.outDir.trim() !== '' && !outDirProblem && badModels.length === 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canSubmit) return;
    await run(async () => {
      const created = await api.invoke('bundle:create', {
        images,
        models,
        outDir: d.outDir.trim(),
        ...(hubUrl.trim() ? { hubUrl: hubUrl.trim() } : {}),
        ...(platform.trim() ? { platform: platform.trim() } : {}),
      });
      useJobs.getState().seed(created);
      setD({ jobId: created.id });
    });
  };

  return (
    <div className="screen">
      <header className="screen-head">
        <h1>Create bundle</h1>
        <p className="lede">
          Resolve images and model weights to digests, fetch them, and write a content-addressed bundle with a manifest.
        </p>
      </header>
      <Tabs label="What to bundle" tabs={TABS} selected={tab} onSelect={setTab}>
        {tab === 'recipe' ? (
          <RecipeForm />
        ) : (
          <form className="panel form" onSubmit={submit} noValidate>
            <div className="form-grid">
              <Field label="Container images" htmlFor="create-images" hint="One reference per line, e.g. registry.example/ai-gateway:1.4">
                <textarea
                  id="create-images"
                  data-testid="create-images"
                  rows={4}
                  spellCheck={false}
                  value={d.images}
                  onChange={(e) => setD({ images: e.target.value })}
                  placeholder="registry.gitlab.com/gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway:self-hosted-v18.4.0-ee"
                />
              </Field>
              <Field
                label="Models"
                htmlFor="create-models"
                hint={
                  badModels.length > 0 ? (
                    <span className="text-bad">Not org/name[@revision]: {badModels.join(', ')}</span>
                  ) : (
                    'One per line: org/name or org/name@revision'
                  )
                }
              >
                <textarea
                  id="create-models"
                  data-testid="create-models"
                  rows={4}
                  spellCheck={false}
                  value={d.models}
                  onChange={(e) => setD({ models: e.target.value })}
                  placeholder="mistralai/Mistral-7B-Instruct-v0.3@main"
                />
              </Field>
            </div>
            <div className="form-grid form-grid-3">
              <Field
                label="Output directory"
                htmlFor="create-out-dir"
                hint={outDirProblem ? <span className="text-bad" data-testid="create-out-dir-problem">{outDirProblem}</span> : 'Absolute path of an empty or new directory; its parent must exist (mount the drive first).'}
              >
                <FolderPicker
                  id="create-out-dir"
                  testId="create-out-dir"
                  value={d.outDir}
                  onChange={(v) => setD({ outDir: v })}
                  placeholder="/media/transfer/bundle-2026-11-23"
                  childName={`bundle-${new Date().toISOString().slice(0, 10)}`}
                />
              </Field>
              <Field label="Hub URL" htmlFor="create-hub-url">
                <input
                  id="create-hub-url"
                  data-testid="create-hub-url"
                  spellCheck={false}
                  value={hubUrl}
                  onChange={(e) => setD({ hubUrl: e.target.value })}
                />
              </Field>
              <Field label="Platform" htmlFor="create-platform">
                <input
                  id="create-platform"
                  data-testid="create-platform"
                  spellCheck={false}
                  value={platform}
                  onChange={(e) => setD({ platform: e.target.value })}
                />
              </Field>
            </div>
            <div className="form-actions">
              <ActingOnly to="create a bundle">
                <button type="submit" className="btn btn-primary" data-testid="create-submit" disabled={!canSubmit}>
                  {submitting ? 'Starting…' : running ? 'Job running…' : 'Create bundle'}
                </button>
              </ActingOnly>
              <span className="muted">
                {images.length} image{images.length === 1 ? '' : 's'} · {models.length} model{models.length === 1 ? '' : 's'}
              </span>
            </div>
            {error != null && <ErrorBox title="Could not start" error={toShape(error)} testId="create-error" />}
          </form>
        )}
      </Tabs>
      {d.jobId && <JobPanel jobId={d.jobId} result={(j) => <CreateResult job={j} />} onRerun={(id) => setD({ jobId: id })} />}
    </div>
  );
}
