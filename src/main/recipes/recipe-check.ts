import { isDerivedImage, type Parameter, type Recipe, type When } from './recipe-schema';
import { refProblem, templateRefs } from './template';

/**
 * Cross-field rules the JSON Schema cannot say. Returns problems as `field: message`
 * (field paths as in the YAML, e.g. `artifacts.images.0.tag`); empty when the recipe is sound.
 */
export function checkRecipe(r: Recipe): string[] {
  const problems: string[] = [];
  const params = new Map<string, Parameter>();
  (r.parameters ?? []).forEach((p, i) => {
    const at = `parameters.${i}`;
    if (params.has(p.name)) problems.push(`${at}.name: "${p.name}" is declared twice`);
    params.set(p.name, p);
    if (p.type === 'enum' && !p.choices) problems.push(`${at}.choices: an enum parameter needs choices`);
    if (p.type !== 'enum' && p.choices && p.type === 'bool') problems.push(`${at}.choices: a bool parameter has no choices`);
    if (p.default !== undefined) {
      if (p.type === 'bool' && typeof p.default !== 'boolean') problems.push(`${at}.default: must be true or false`);
      if (p.type !== 'bool' && typeof p.default !== 'string') problems.push(`${at}.default: must be a string`);
      if (p.type === 'enum' && p.choices && !p.choices.includes(String(p.default))) problems.push(`${at}.default: "${String(p.default)}" is not one of the choices`);
    }
    if (p.pattern !== undefined) {
      try {
        new RegExp(p.pattern);
      } catch (err) {
        problems.push(`${at}.pattern: ${(err as Error).message}`);
      }
    }
  });

  const acquireParams = new Set([...params.values()].filter((p) => p.stage !== 'install').map((p) => p.name));
  const checkWhen = (when: When | undefined, at: string): void => {
    for (const [name, want] of Object.entries(when ?? {})) {
      const p = params.get(name);
      if (!p) {
        problems.push(`${at}.when.${name}: no parameter "${name}"`);
        continue;
      }
      for (const v of Array.isArray(want) ? want : [want]) {
        if (p.type === 'bool' && typeof v !== 'boolean') problems.push(`${at}.when.${name}: "${String(v)}" is not true or false`);
        if (p.type === 'enum' && !p.choices?.includes(String(v))) problems.push(`${at}.when.${name}: "${String(v)}" is not one of the choices`);
      }
    }
  };
  /** Artifact fields may use acquire parameters only: they decide what is fetched. */
  const checkAcquireTemplate = (tpl: string | undefined, at: string): void => {
    for (const ref of templateRefs(tpl ?? '')) {
      const bad = refProblem(ref);
      if (bad) problems.push(`${at}: ${bad}`);
      else if (!acquireParams.has(ref)) problems.push(`${at}: \${${ref}} is not an acquire parameter of this recipe`);
    }
  };

  const ids = new Map<string, string>();
  const a = r.artifacts;
  const kinds = [
    ['images', a.images ?? []],
    ['models', a.models ?? []],
    ['ollama', a.ollama ?? []],
    ['files', a.files ?? []],
  ] as const;
  for (const [kind, list] of kinds) {
    list.forEach((art, i) => {
      const at = `artifacts.${kind}.${i}`;
      if (ids.has(art.id)) problems.push(`${at}.id: "${art.id}" is also used by ${ids.get(art.id)}`);
      ids.set(art.id, at);
      checkWhen(art.when, at);
      for (const [field, value] of Object.entries(art)) {
        if (typeof value === 'string' && field !== 'id' && field !== 'description') checkAcquireTemplate(value, `${at}.${field}`);
      }
      if ('npm' in art) for (const [field, value] of Object.entries(art.npm)) checkAcquireTemplate(value, `${at}.npm.${field}`);
      if ('tag' in art && art.tag !== undefined) {
        if (typeof art.tag === 'object' && 'newest' in art.tag) {
          try {
            new RegExp(art.tag.newest);
          } catch (err) {
            problems.push(`${at}.tag.newest: ${(err as Error).message}`);
          }
        } else checkAcquireTemplate(typeof art.tag === 'string' ? art.tag : art.tag.template, `${at}.tag`);
      }
    });
  }
  if (ids.size === 0) problems.push('artifacts: the recipe names no artifact');

  const images = new Set((a.images ?? []).map((i) => i.id));
  problems.push(...derivedProblems(r));
  const secrets = new Set((r.install?.secrets ?? []).map((s) => s.name));
  const installRef = (tpl: string, at: string): void => {
    for (const ref of templateRefs(tpl)) {
      const bad = refProblem(ref);
      if (bad) problems.push(`${at}: ${bad}`);
      else if (ref.startsWith('secret.')) {
        if (!secrets.has(ref.slice(7))) problems.push(`${at}: no secret "${ref.slice(7)}" in install.secrets`);
      } else if (ref.startsWith('artifact.')) {
        if (!ids.has(ref.slice(9))) problems.push(`${at}: no artifact "${ref.slice(9)}"`);
      } else if (ref.includes('.')) problems.push(`${at}: \${${ref}}: only secret.NAME and artifact.ID are known`);
      else if (!params.has(ref)) problems.push(`${at}: no parameter "${ref}"`);
    }
  };
  const containers = new Set<string>();
  (r.install?.containers ?? []).forEach((c, i) => {
    const at = `install.containers.${i}`;
    if (containers.has(c.name)) problems.push(`${at}.name: "${c.name}" is declared twice`);
    containers.add(c.name);
    if (!images.has(c.image)) problems.push(`${at}.image: no image artifact "${c.image}"`);
    checkWhen(c.when, at);
    c.command?.forEach((s, j) => installRef(s, `${at}.command.${j}`));
    Object.entries(c.env ?? {}).forEach(([k, v]) => installRef(v, `${at}.env.${k}`));
    c.volumes?.forEach((v, j) => installRef(v, `${at}.volumes.${j}`));
    const checks = c.health === undefined ? [] : Array.isArray(c.health) ? c.health : [c.health];
    checks.forEach((h, j) => {
      const hat = Array.isArray(c.health) ? `${at}.health.${j}` : `${at}.health`;
      if ('http' in h) {
        installRef(h.http, `${hat}.http`);
        if (!/^(?:https?:\/\/|\$\{)/.test(h.http)) problems.push(`${hat}.http: must be an http:// or https:// URL`);
      } else h.cmd.forEach((s, k) => installRef(s, `${hat}.cmd.${k}`));
      if (h.expectBody !== undefined) installRef(h.expectBody, `${hat}.expectBody`);
    });
  });
  (r.install?.containers ?? []).forEach((c, i) =>
    c.dependsOn?.forEach((d, j) => {
      if (!containers.has(d)) problems.push(`install.containers.${i}.dependsOn.${j}: no container "${d}"`);
    }),
  );
  (r.install?.verify ?? []).forEach((v, i) => {
    for (const f of ['http', 'body', 'expectBody'] as const) if (v[f] !== undefined) installRef(v[f], `install.verify.${i}.${f}`);
    if (!/^(?:https?:\/\/|\$\{)/.test(v.http)) problems.push(`install.verify.${i}.http: must be an http:// or https:// URL`);
    checkWhen(v.when, `install.verify.${i}`);
  });
  (r.install?.outputs ?? []).forEach((o, i) => {
    installRef(o.value, `install.outputs.${i}.value`);
    checkWhen(o.when, `install.outputs.${i}`);
  });
  return problems;
}

/** A derived image names an image artifact as its base (`from`), and no chain of bases loops. */
function derivedProblems(r: Recipe): string[] {
  const problems: string[] = [];
  const list = r.artifacts.images ?? [];
  const base = new Map<string, string>();
  list.forEach((img) => isDerivedImage(img) && base.set(img.id, img.from));
  const images = new Set(list.map((i) => i.id));
  list.forEach((img, i) => {
    if (!isDerivedImage(img)) return;
    const at = `artifacts.images.${i}.from`;
    if (!images.has(img.from)) {
      problems.push(`${at}: no image artifact "${img.from}"`);
      return;
    }
    const seen = new Set([img.id]);
    for (let cur = base.get(img.id); cur !== undefined; cur = base.get(cur)) {
      if (seen.has(cur)) {
        problems.push(`${at}: "${img.id}" is built on itself (${[...seen, cur].join(' → ')})`);
        break;
      }
      seen.add(cur);
    }
  });
  return problems;
}
