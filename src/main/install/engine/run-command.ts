import { shellQuote } from '../plan/install-template';

// The equivalent `docker run` / `podman run` shown to the admin before a container step runs:
// one option per line, ready to paste. Secrets appear as "$(cat 'FILE')" (the caller passes
// shell words built in display mode), never as their values.

export interface RunCommandParts {
  engine: 'docker' | 'podman';
  name: string;
  restart?: string;
  /** As in the recipe: "5052:5052", "127.0.0.1:8000:8000/tcp". */
  publish: string[];
  /** `word` is the value as one shell word ('' for an empty value, as the GitLab docs write it). */
  env: { name: string; word: string }[];
  /** HOST:CONTAINER[:ro], expanded. */
  volumes: string[];
  labels: Record<string, string>;
  network?: string;
  networkAlias?: string;
  /** From gpuRunFlags (e.g. --gpus all, or Podman's CDI --device … --security-opt label=disable). */
  gpuFlags: string[];
  image: string;
  /** Arguments after the image, already shell words. */
  args: string[];
}

/** Renders the run command, one flag per line joined with " \\\n  ". */
export function renderRunCommand(p: RunCommandParts): string {
  const lines: string[] = [`${p.engine} run --detach`, `--name ${shellQuote(p.name)}`];
  if (p.restart && p.restart !== 'no') lines.push(`--restart ${p.restart}`);
  if (p.network) lines.push(`--network ${shellQuote(p.network)}`);
  if (p.network && p.networkAlias) lines.push(`--network-alias ${shellQuote(p.networkAlias)}`);
  for (const [k, v] of Object.entries(p.labels)) lines.push(`--label ${shellQuote(`${k}=${v}`)}`);
  for (const port of p.publish) lines.push(`--publish ${shellQuote(port)}`);
  for (const v of p.volumes) lines.push(`--volume ${shellQuote(v)}`);
  for (const e of p.env) lines.push(`--env ${e.name}=${e.word}`);
  for (let i = 0; i < p.gpuFlags.length; i += 1) {
    const flag = p.gpuFlags[i]!;
    const next = p.gpuFlags[i + 1];
    if (flag.startsWith('--') && !flag.includes('=') && next !== undefined && !next.startsWith('--')) {
      lines.push(`${flag} ${shellQuote(next)}`);
      i += 1;
    } else lines.push(shellQuote(flag));
  }
  lines.push(shellQuote(p.image));
  if (p.args.length > 0) {
    // Flag/value pairs on one line each, like the GitLab docs' vLLM example.
    const pairs: string[] = [];
    for (let i = 0; i < p.args.length; i += 1) {
      const a = p.args[i]!;
      const next = p.args[i + 1];
      if (a.startsWith('--') && !a.includes('=') && next !== undefined && !next.startsWith('--')) {
        pairs.push(`${a} ${next}`);
        i += 1;
      } else pairs.push(a);
    }
    lines.push(...pairs);
  }
  return lines.join(' \\\n  ');
}
