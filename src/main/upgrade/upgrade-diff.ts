import { orderContainers } from '../install/plan/install-plan';
import { imageRef, templateContext } from '../install/plan/install-refs';
import type { StoredRequest } from '../install/install-store';
import { expandInstall, type InstallTemplateContext } from '../install/plan/install-template';
import type { StoredPlan } from '../install/install-types';
import type { ContainerSpec } from '../recipes/recipe-schema';
import type { Change, ContainerChange, FieldChange, ImageChange, ModelChange, ParamChange, UpgradeDiff } from '../../shared/upgrade-types';

// Pure: what an upgrade changes, from the installed plan and the new one. Values are expanded as
// the admin would read them (secrets as $(cat 'FILE'), never their values).

export interface DiffSide {
  plan: Omit<StoredPlan, 'steps'>;
  request: StoredRequest;
}

export interface DiffInput {
  old: DiffSide;
  new: DiffSide;
  dataDir: string;
  installId: string;
}

function show(tpl: string, ctx: InstallTemplateContext, where: string): string {
  try {
    return expandInstall(tpl, ctx, where, 'display');
  } catch {
    return tpl; // a value the recipe cannot expand yet: shown as written
  }
}

function images(input: DiffInput): ImageChange[] {
  const o = input.old.plan.images;
  const n = input.new.plan.images;
  const out: ImageChange[] = [];
  for (const img of n) {
    const prev = o.find((x) => x.id === img.id) ?? o.find((x) => x.target === img.target);
    const now = { ref: imageRef(img, input.new.request.registry), digest: img.digest };
    if (!prev) out.push({ id: img.id, target: img.target, change: 'added', new: now });
    else {
      const was = { ref: imageRef(prev, input.old.request.registry), digest: prev.digest };
      out.push({ id: img.id, target: img.target, change: was.digest === now.digest && was.ref === now.ref ? 'unchanged' : 'changed', old: was, new: now });
    }
  }
  for (const prev of o) {
    if (!n.some((x) => x.id === prev.id || x.target === prev.target)) out.push({ id: prev.id, target: prev.target, change: 'removed', old: { ref: imageRef(prev, input.old.request.registry), digest: prev.digest } });
  }
  return out;
}

function params(input: DiffInput): ParamChange[] {
  const o = input.old.plan.params;
  const n = input.new.plan.params;
  const names = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
  const out: ParamChange[] = [];
  for (const name of names) {
    const a = o[name] === undefined ? undefined : String(o[name]);
    const b = n[name] === undefined ? undefined : String(n[name]);
    if (a !== b) out.push({ name, ...(a !== undefined ? { old: a } : {}), ...(b !== undefined ? { new: b } : {}) });
  }
  return out;
}

/** A container's fields as displayed strings, keyed by field name. */
function fieldsOf(c: ContainerSpec, ctx: InstallTemplateContext): Map<string, string> {
  const at = `install.containers[${c.name}]`;
  const f = new Map<string, string>();
  f.set('image', ctx.artifacts[c.image] ?? c.image);
  for (const [k, v] of Object.entries(c.env ?? {})) f.set(`env.${k}`, show(v, ctx, `${at}.env.${k}`));
  if (c.ports?.length) f.set('ports', c.ports.join(' '));
  if (c.volumes?.length) f.set('volumes', c.volumes.map((v, i) => show(v, ctx, `${at}.volumes.${i}`)).join(' '));
  if (c.command?.length) f.set('command', c.command.map((a, i) => show(a, ctx, `${at}.command.${i}`)).join(' '));
  if (c.restart) f.set('restart', c.restart);
  if (c.gpu !== undefined) f.set('gpu', String(c.gpu));
  if (c.dependsOn?.length) f.set('dependsOn', c.dependsOn.join(' '));
  return f;
}

function containers(input: DiffInput): ContainerChange[] {
  const ctxOld = templateContext({ ...input.old.plan, steps: [] }, input.old.request, input.dataDir, input.installId);
  const ctxNew = templateContext({ ...input.new.plan, steps: [] }, input.new.request, input.dataDir, input.installId);
  const o = orderContainers(input.old.plan.recipe, input.old.plan.params);
  const n = orderContainers(input.new.plan.recipe, input.new.plan.params);
  const out: ContainerChange[] = [];
  for (const c of n) {
    const prev = o.find((x) => x.name === c.name);
    const b = fieldsOf(c, ctxNew);
    if (!prev) {
      out.push({ name: c.name, change: 'added', fields: [...b].map(([field, v]) => ({ field, new: v })) });
      continue;
    }
    const a = fieldsOf(prev, ctxOld);
    const fields: FieldChange[] = [];
    for (const field of [...new Set([...a.keys(), ...b.keys()])]) {
      const x = a.get(field);
      const y = b.get(field);
      if (x !== y) fields.push({ field, ...(x !== undefined ? { old: x } : {}), ...(y !== undefined ? { new: y } : {}) });
    }
    // Same reference, new content (a tag moved): the container still changes.
    const oldImg = input.old.plan.images.find((i) => i.id === prev.image);
    const newImg = input.new.plan.images.find((i) => i.id === c.image);
    if (!fields.some((f) => f.field === 'image') && oldImg && newImg && oldImg.digest !== newImg.digest) fields.unshift({ field: 'image', old: `${a.get('image')} (${oldImg.digest})`, new: `${b.get('image')} (${newImg.digest})` });
    out.push({ name: c.name, change: fields.length > 0 ? 'changed' : 'unchanged', fields });
  }
  for (const prev of o) if (!n.some((x) => x.name === prev.name)) out.push({ name: prev.name, change: 'removed', fields: [] });
  return out;
}

function models(input: DiffInput): ModelChange[] {
  const o = input.old.plan.models;
  const n = input.new.plan.models;
  const view = (m: { repo: string; revision: string; size: number }): { repo: string; revision: string; size: number } => ({ repo: m.repo, revision: m.revision, size: m.size });
  const out: ModelChange[] = n.map((m) => {
    const prev = o.find((x) => x.id === m.id) ?? o.find((x) => x.repo === m.repo);
    if (!prev) return { id: m.id, change: 'added' as Change, new: view(m) };
    const same = prev.repo === m.repo && prev.revision === m.revision && prev.size === m.size;
    return { id: m.id, change: (same ? 'unchanged' : 'changed') as Change, old: view(prev), new: view(m) };
  });
  for (const prev of o) if (!n.some((x) => x.id === prev.id || x.repo === prev.repo)) out.push({ id: prev.id, change: 'removed', old: view(prev) });
  return out;
}

export function diffUpgrade(input: DiffInput): UpgradeDiff {
  const oldSecrets = new Set((input.old.plan.recipe.install?.secrets ?? []).map((s) => s.name));
  return {
    recipe: { id: input.new.plan.recipe.id, title: input.new.plan.recipe.title, oldVersion: input.old.plan.recipe.version, newVersion: input.new.plan.recipe.version },
    oldBundleId: input.old.plan.bundleId,
    newBundleId: input.new.plan.bundleId,
    images: images(input),
    params: params(input),
    containers: containers(input),
    models: models(input),
    secretsAdded: (input.new.plan.recipe.install?.secrets ?? []).map((s) => s.name).filter((n) => !oldSecrets.has(n)),
  };
}

/** The diff as lines for the terminal. */
export function diffText(d: UpgradeDiff): string[] {
  const lines = [`${d.recipe.title}: ${d.recipe.oldVersion} → ${d.recipe.newVersion} (bundle ${d.oldBundleId} → ${d.newBundleId})`, '', 'Images:'];
  for (const i of d.images) {
    if (i.change === 'added') lines.push(`  + ${i.target}  ${i.new!.ref}  ${i.new!.digest}`);
    else if (i.change === 'removed') lines.push(`  - ${i.target}  ${i.old!.ref}  ${i.old!.digest}`);
    else if (i.change === 'changed') lines.push(`  ~ ${i.target}  ${i.old!.ref} ${i.old!.digest} → ${i.new!.ref} ${i.new!.digest}`);
    else lines.push(`    ${i.target}  unchanged (${i.new!.digest})`);
  }
  if (d.params.length) {
    lines.push('', 'Parameters:');
    for (const p of d.params) lines.push(`  ${p.name}: ${p.old ?? '(none)'} → ${p.new ?? '(none)'}`);
  }
  lines.push('', 'Containers:');
  for (const c of d.containers) {
    lines.push(`  ${{ added: '+', removed: '-', changed: '~', unchanged: ' ' }[c.change]} ${c.name}${c.change === 'unchanged' ? '  unchanged' : ''}`);
    for (const f of c.fields) lines.push(`      ${f.field}: ${f.old ?? '(none)'} → ${f.new ?? '(none)'}`);
  }
  if (d.models.length) {
    lines.push('', 'Models:');
    for (const m of d.models) {
      const v = (x?: { repo: string; revision: string; size: number }): string => (x ? `${x.repo}@${x.revision.slice(0, 12)} (${x.size} bytes)` : '(none)');
      lines.push(`  ${m.id}: ${m.change === 'unchanged' ? `unchanged ${v(m.new)}` : `${v(m.old)} → ${v(m.new)}`}`);
    }
  }
  if (d.secretsAdded.length) lines.push('', `New secrets generated on this host: ${d.secretsAdded.join(', ')}`);
  return lines;
}
