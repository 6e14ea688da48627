import { stringify } from 'yaml';
import { z } from 'zod';
import { FerryError, UsageError } from '../../../shared/errors';
import { parseReference } from '../../registry/reference';

// .gitlab/duo/agent-config.yml: how GitLab Duo Agent Platform flows run in CI/CD on an offline
// instance (image from the internal registry, optional setup_script and cache).

export const AGENT_CONFIG_PATH = '.gitlab/duo/agent-config.yml';

export interface AgentConfigInput {
  image: string;
  setupScript?: string[];
  cache?: { key?: string | { files: string[]; prefix?: string }; paths: string[] };
}

const line = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .min(1, `must be ${what}, not empty`)
    .max(4096, 'is longer than 4096 characters');

const imageRef = line('an image reference').superRefine((v, ctx) => {
  try {
    parseReference(v);
  } catch (err) {
    const detail = err instanceof FerryError ? err.message : String(err);
    ctx.addIssue({ code: 'custom', message: `must be a valid image reference (${detail})` });
  }
});

const cachePath = line('a path').refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
  message: 'must be a path inside the project (relative, without "..")',
});

const KeyFilesSchema = z.strictObject({
  files: z
    .array(line('a file path'), { error: (i) => (i.input === undefined ? 'required — list the files whose contents key the cache' : 'must be a list of file paths') })
    .min(1, 'list at least one file')
    .max(2, 'at most two files (GitLab uses only the first two)'),
  prefix: line('a prefix').optional(),
});

const CacheSchema = z.strictObject({
  key: z.union([line('a cache key'), KeyFilesSchema]).optional(),
  paths: z
    .array(cachePath, { error: (i) => (i.input === undefined ? 'required — a cache without paths has no effect' : 'must be a list of paths') })
    .min(1, 'required — a cache without paths has no effect')
    .max(100, 'at most 100 paths'),
});

const AgentConfigSchema = z.strictObject(
  {
    image: imageRef,
    setupScript: z.array(line('a command'), { error: 'must be a list of commands' }).max(200, 'at most 200 commands').optional(),
    cache: CacheSchema.optional(),
  },
  { error: (i) => (i.code === 'invalid_type' ? 'must be an object with image and optionally setupScript and cache' : undefined) },
);

type Issue = z.core.$ZodIssue;

/** Readable "field: problem" for the first issue; a union is explained by the branch the input's type matches. */
function describe(issue: Issue, base: PropertyKey[] = []): string {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branch = issue.errors.find((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (branch && branch[0]) return describe(branch[0], path);
    return `${fieldName(path)}: must be a string or {files, prefix}`;
  }
  if (issue.code === 'unrecognized_keys') return `${fieldName(path)}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${fieldName(path)}: ${issue.message}`;
}

function fieldName(path: PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `${s ? '.' : ''}${String(p)}`;
  return s || '(root)';
}

/** Checks the agent configuration; errors name `where` and the field. */
export function validateAgentConfig(input: unknown, where: string): AgentConfigInput {
  const r = AgentConfigSchema.safeParse(input);
  if (!r.success) {
    throw new UsageError(
      `${where}: ${describe(r.error.issues[0]!)}`,
      'Fields: image (the flow image in the internal registry), setupScript (list of commands), cache {key: string | {files (at most two), prefix}, paths (required)}.',
    );
  }
  return r.data as AgentConfigInput;
}

const HEADER = [
  'GitLab Duo Agent Platform: how flows run in CI/CD for this project.',
  `Written by Ferry. Commit it as ${AGENT_CONFIG_PATH} on the default branch.`,
  'It does not refer to the Ferry bundle: runners pull the image below from the',
  'internal registry, so the file stays valid after the bundle folder is gone.',
  'With a custom image (not the GitLab default image) the environment sandbox is',
  'not applied: network isolation must come from the runner (firewall rules,',
  'network policies).',
];

/** The YAML text of agent-config.yml (validated first). */
export function renderAgentConfig(input: AgentConfigInput): string {
  const c = validateAgentConfig(input, AGENT_CONFIG_PATH);
  const doc: Record<string, unknown> = { image: c.image };
  if (c.setupScript && c.setupScript.length > 0) doc.setup_script = c.setupScript;
  if (c.cache) {
    const { key, paths } = c.cache;
    doc.cache = {
      ...(key === undefined ? {} : { key: typeof key === 'string' ? key : { files: key.files, ...(key.prefix !== undefined ? { prefix: key.prefix } : {}) } }),
      paths,
    };
  }
  return `${HEADER.map((l) => `# ${l}`).join('\n')}\n${stringify(doc, { lineWidth: 0 })}`;
}
