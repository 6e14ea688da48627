import { relative, resolve, sep } from 'node:path';
import { mediaReadStream, readMediaFile } from '../../io/media-file';
import { parseAllDocuments } from 'yaml';
import { FerryError } from '../../../shared/errors';
import { confinedPath, fileInside, filesDestination, OWNED_MARKER, replaceFolder } from '../../bundle/destinations';
import { writeVerified } from '../../io/verified-write';
import { filesDir } from '../plan/install-refs';
import type { PlanFile } from '../install-types';
import type { StepEnv, StepOutcome } from './step-env';

// The bundle's files artifacts (the gateway's policy configuration, knowledge-base documents)
// placed under <dataDir>/installs/<id>/files/<artifact id>/, every file hashed as it is written.
// YAML files are parsed first: a file that does not parse stops the install before any
// container starts, naming the file, line and column.

const YAML_FILE = /\.ya?ml$/i;
const MAX_YAML = 16 << 20;

/** The first YAML syntax error of `text`, as "line L, column C: message", or undefined when it parses. */
export function yamlProblem(text: string): string | undefined {
  for (const doc of parseAllDocuments(text)) {
    const err = doc.errors[0];
    if (!err) continue;
    const at = err.linePos?.[0];
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${msg}`;
  }
  return undefined;
}

function inside(root: string, rel: string): string {
  const abs = resolve(root, rel);
  if (!abs.startsWith(root + sep)) throw new FerryError(`Bundle file ${rel} points outside its folder.`, 'The bundle is malformed; create it again.');
  return abs;
}

async function checkYaml(bundleDir: string, f: PlanFile): Promise<string[]> {
  const checked: string[] = [];
  for (const file of f.files.filter((x) => YAML_FILE.test(x.path))) {
    const rel = `${f.dir}/${file.path}`;
    if (file.size > MAX_YAML) throw new FerryError(`${rel} is ${file.size} bytes, too large to check as YAML.`, 'Configuration files are small; check the bundle was made from the right file.');
    const problem = yamlProblem((await readMediaFile(resolve(bundleDir), relative(resolve(bundleDir), inside(resolve(bundleDir), rel)), 'config')).toString('utf8'));
    if (problem) {
      throw new FerryError(
        `${file.path} (artifact ${f.id}) is not valid YAML: ${problem}. Nothing was started.`,
        `Fix ${file.path} on the connected side and create the bundle again (the file in the bundle is signed and cannot be edited here).`,
        'InvalidConfig',
      );
    }
    checked.push(file.path);
  }
  return checked;
}

export async function filesStep(env: StepEnv): Promise<StepOutcome> {
  const { plan } = env.record;
  const bundleDir = resolve(plan.bundleDir);
  const list = plan.files ?? [];
  const yaml: string[] = [];
  for (const f of list) yaml.push(...(await checkYaml(bundleDir, f)).map((p) => `${f.id}/${p}`));
  const placed: { id: string; dir: string; files: number; bytes: number }[] = [];
  for (const f of list) {
    // Derived from the validated name, confined to the install's files folder (no links), never removing what Ferry did not make.
    const dest = await confinedPath(filesDestination({ name: f.id }, filesDir(env.dataDir, env.installId, '')));
    let bytes = 0;
    const { previous } = await replaceFolder(dest, { installId: env.installId, bundleId: plan.bundleId, artifact: f.id }, `files artifact ${f.id}`, async (fresh) => {
      for (const file of f.files) {
        if (file.path === OWNED_MARKER || file.path.startsWith(`${OWNED_MARKER}/`)) throw new FerryError(`Bundle file ${f.dir}/${file.path} uses Ferry's marker name ${OWNED_MARKER}.`, 'The bundle is malformed; create it again.');
        env.progress.phase(`placing ${f.id}/${file.path}`);
        const src = inside(bundleDir, `${f.dir}/${file.path}`);
        const w = await writeVerified((await mediaReadStream(bundleDir, relative(bundleDir, src), { signal: env.progress.signal })).stream, fileInside(fresh, file.path, `files artifact ${f.id}`), { sha256: file.sha256, size: file.size }, { signal: env.progress.signal });
        bytes += w.size;
        env.log(`${f.id}/${file.path}: ${w.size} bytes, sha256 ${w.sha256}`);
      }
    });
    if (previous) env.log(`${f.id}: the previous version is kept in ${previous}`);
    placed.push({ id: f.id, dir: dest, files: f.files.length, bytes });
  }
  for (const p of yaml) env.log(`${p}: valid YAML`);
  return {
    result: { files: placed, yaml },
    summary: `${placed.reduce((s, p) => s + p.files, 0)} file(s) of ${placed.map((p) => p.id).join(', ')} placed and verified${yaml.length ? `; ${yaml.length} YAML file(s) parse` : ''}`,
  };
}
