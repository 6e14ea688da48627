import type { MountView, RuntimeSurfaceView, SurfaceWarning } from '../../shared/api-review';
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

// ---- The runtime surface, as review shows it (docs/security.md) ----

const ENGINE_SOCKET = /(?:^|\/)(?:docker|podman|containerd|crio|dockershim)\.sock$/;
const LOOPBACK = /^(?:127(?:\.[0-9]{1,3}){3}|localhost|::1)$/i;
const NAMED = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Commands that leave the container's view of the host (shown as warnings; mounts and targets are what install gates). */
const ESCAPES = /^(?:chroot|nsenter|unshare|mount|pivot_root|capsh|setns)$/;

function mountView(spec: string): MountView & { host: string } {
  const parts = spec.split(':');
  const readOnly = parts.length >= 3 && /^(?:ro|rw|z|Z|[rs]?(?:shared|slave|private)|nocopy)(?:,[a-zA-Z]+)*$/.test(parts[parts.length - 1]!) ? parts.pop()!.split(',').includes('ro') : false;
  parts.pop();
  const host = parts.join(':');
  const kind = host.startsWith('${artifact.') ? 'artifact' : NAMED.test(host) ? 'named' : ENGINE_SOCKET.test(host) ? 'socket' : 'host';
  return { spec, kind, readOnly, host };
}

/**
 * Every container the recipe can run (with its `when`), its image, command, env names, ports,
 * mounts, GPU and health checks, the stack-level checks, and warnings for what install refuses
 * without the admin's allowance: host mounts, the engine socket, and targets that are not the
 * stack's own containers. Static: parameters are shown as `${name}`.
 */
export function runtimeSurface(r: Recipe): RuntimeSurfaceView {
  const containers = r.install?.containers ?? [];
  const names = new Set(containers.flatMap((c) => [c.name, `ferry-${c.name}`]));
  const ports = new Set(containers.flatMap((c) => (c.ports ?? []).map((p) => p.split(':').slice(-2)[0]!)));
  const warnings: SurfaceWarning[] = [];
  const target = (raw: string, where: string): void => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      warnings.push({ where, detail: `${raw}: the address is decided at install (a parameter); install checks it is the stack's own` });
      return;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    if ((LOOPBACK.test(host) && ports.has(port)) || names.has(host)) return;
    if (/\$\{/.test(raw)) warnings.push({ where, detail: `${raw}: the address is decided at install (a parameter); install checks it is the stack's own` });
    else warnings.push({ where, detail: `${raw} is not one of the stack's own containers`, allowance: `target:${u.hostname}:${port}` });
  };
  const view = containers.map((c) => {
    const at = `install.containers[${c.name}]`;
    const mounts = (c.volumes ?? []).map((v, i) => {
      const m = mountView(v);
      if (m.kind === 'socket') warnings.push({ where: `${at}.volumes.${i}`, detail: `mounts the container engine's socket ${m.host}: full control of the host`, allowance: `mount:${m.host}` });
      else if (m.kind === 'host') warnings.push({ where: `${at}.volumes.${i}`, detail: `mounts the host path ${m.host}${m.host === '/' ? ' (the whole host file system)' : ''}`, ...(m.host.includes('${') ? {} : { allowance: `mount:${m.host}` }) });
      return { spec: m.spec, kind: m.kind, readOnly: m.readOnly };
    });
    (c.command ?? []).forEach((word, i) => {
      if (ESCAPES.test(word.split('/').pop() ?? '')) warnings.push({ where: `${at}.command.${i}`, detail: `runs ${word}: it can leave the container's view of the host` });
    });
    const checks = c.health === undefined ? [] : Array.isArray(c.health) ? c.health : [c.health];
    checks.forEach((h, j) => {
      if ('http' in h) target(h.http, `${at}.health${Array.isArray(c.health) ? `.${j}` : ''}.http`);
    });
    return {
      name: c.name,
      engineName: `ferry-${c.name}`,
      image: c.image,
      command: c.command ?? [],
      env: Object.keys(c.env ?? {}).sort(),
      ports: c.ports ?? [],
      mounts,
      ...(c.gpu !== undefined ? { gpu: String(c.gpu) } : {}),
      health: checks.map((h) => ('http' in h ? `GET ${h.http}${h.expectStatus ? ` → ${h.expectStatus}` : ''}` : `exec ${h.cmd.join(' ')}`)),
      ...(c.when ? { when: c.when as Record<string, unknown> } : {}),
    };
  });
  const verify = (r.install?.verify ?? []).map((v) => {
    target(v.http, `install.verify[${v.name}].http`);
    return { name: v.name, method: v.method ?? 'GET', url: v.http };
  });
  return { recipe: r.id, containers: view, verify, warnings };
}
