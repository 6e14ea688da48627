import { z } from 'zod';

// The recipe format (YAML). Published as JSON Schema in docs/recipe.schema.json
// (`ferry recipe schema`), documented in docs/recipes.md. Cross-field rules (parameter
// references, `when` values, artifact ids) are checked by recipe-check.ts.

export const RECIPE_FORMAT = 'ferry.recipe.v1';

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;

const id = z.string().regex(ID, 'must be lowercase letters, digits and "-" (at most 63)');
const paramName = z.string().regex(NAME, 'must be lowercase letters, digits and "_", starting with a letter');
/** A string that may hold `${param}` references. */
const template = (max = 1024) => z.string().min(1).max(max);
const text = (max: number) => z.string().max(max);
/** One line: what review shows must be what runs (no control characters hiding part of a mount, command word or URL). */
const line = (max = 1024) => template(max).regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters (newlines, tabs, escapes)');
const scalar = z.union([z.string().max(255), z.boolean()]);

export const ParameterSchema = z.strictObject({
  name: paramName,
  type: z.enum(['string', 'enum', 'bool']),
  default: scalar.optional().describe('Value used when none is given; a parameter without one must be set'),
  choices: z.array(z.string().min(1).max(255)).min(1).max(100).optional().describe('Allowed values of an enum parameter'),
  description: text(1000).optional(),
  /** `install` parameters are needed only by the install steps (e.g. a domain name), not to resolve. */
  stage: z.enum(['acquire', 'install']).optional().describe('acquire (default): needed to resolve artifacts; install: only by install steps'),
  pattern: text(255).optional().describe('Regular expression a string value must match'),
});

/** Include an entry only when every named parameter has the value (or one of the values) given. */
export const WhenSchema = z
  .record(paramName, z.union([scalar, z.array(scalar).min(1).max(100)]))
  .describe('Include only when each named parameter has the value (or one of the values) given');

export const TagRuleSchema = z.union([
  template(255).describe('A tag template, e.g. self-hosted-v${gitlab_version}-ee'),
  z.strictObject({ template: template(255) }),
  z.strictObject({
    newest: text(255).min(1).describe('Regular expression; the newest matching tag in version order (sort -V) is taken'),
  }),
]);

const imageTarget = z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/).max(128);

export const SourceImageArtifactSchema = z.strictObject({
  id,
  source: template().describe(
    'Image repository without tag, e.g. registry.gitlab.com/org/image; or oci-archive:PATH[:NAME], docker-archive:PATH[:NAME], docker-daemon:NAME:TAG',
  ),
  tag: TagRuleSchema.optional().describe('Tag template or {newest: REGEX}; omitted for archive and docker-daemon sources'),
  target: imageTarget.optional().describe('Repository name in the internal registry (default: last part of the source)'),
  description: text(1000).optional(),
  when: WhenSchema.optional(),
});

export const NpmPackageSchema = z
  .strictObject({
    package: template(214).describe('npm package name, e.g. @gitlab/duo-cli'),
    version: template(255).describe('Exact version, e.g. 8.86.0 or ${duo_cli_version}'),
    registry: template(1024).optional().describe('npm registry URL (default https://registry.npmjs.org)'),
  })
  .describe('A self-contained npm package, laid out as `npm install --global` would in one new layer');

/** An image built on the connected side: another image artifact plus one layer (no Docker needed). */
export const DerivedImageArtifactSchema = z.strictObject({
  id,
  from: id.describe('id of the image artifact it is built on'),
  npm: NpmPackageSchema,
  target: imageTarget.describe('Repository name in the internal registry, e.g. duo-executor; the tag is the base image\'s'),
  description: text(1000).optional(),
  when: WhenSchema.optional(),
});

/** A derived image has `from`; its problems are reported against that form, with the field named. */
export const ImageArtifactSchema = z.union([SourceImageArtifactSchema, DerivedImageArtifactSchema], {
  error: (iss) => {
    if (iss.code !== 'invalid_union' || !('errors' in iss)) return undefined;
    const input = iss.input as Record<string, unknown> | undefined;
    const branch = (iss.errors as { path: PropertyKey[]; message: string }[][])[input && typeof input === 'object' && 'from' in input ? 1 : 0]?.[0];
    return branch ? `${branch.path.length ? `${branch.path.join('.')}: ` : ''}${branch.message}` : undefined;
  },
});

export const ModelArtifactSchema = z.strictObject({
  id,
  repo: template(255).describe('Hub repository ORG/NAME, e.g. ${model}'),
  revision: template(255).optional().describe('Branch, tag or commit (default main); pinned to a commit in the lock'),
  include: z.array(text(255).min(1)).max(200).optional().describe('Globs of files to take (default: all); * stays within a folder, ** crosses folders'),
  exclude: z.array(text(255).min(1)).max(200).optional().describe('Globs of files to leave out'),
  description: text(1000).optional(),
  when: WhenSchema.optional(),
});

export const OllamaArtifactSchema = z.strictObject({
  id,
  model: template(255).describe('Ollama model NAME[:TAG], e.g. llama3.1:8b (registry.ollama.ai/library/...)'),
  description: text(1000).optional(),
  when: WhenSchema.optional(),
});

export const FileArtifactSchema = z.strictObject({
  id,
  source: template(4096).describe('Local file or folder; a relative path is taken from the working directory'),
  target: text(255).optional().describe('Name in the bundle under files/<id>/ (default: the source name)'),
  include: z.array(text(255).min(1)).max(200).optional(),
  exclude: z.array(text(255).min(1)).max(200).optional(),
  optional: z.boolean().optional().describe('A missing source is skipped instead of failing'),
  description: text(1000).optional(),
  when: WhenSchema.optional(),
});

const envValue = z.string().max(65_536);
const healthCommon = {
  expectBody: template(4096).optional().describe('Text the response body (or the command output) must contain; may use ${param}'),
  timeout: z.number().int().min(1).max(86_400).optional().describe('Seconds to wait for this check to pass (default: the install\'s health timeout)'),
  interval: z.number().int().min(1).max(3600).optional(),
  retries: z.number().int().min(1).max(1000).optional(),
};
export const HealthCheckSchema = z.union([
  z.strictObject({ http: line().describe('URL polled from the install host, e.g. http://127.0.0.1:8000/health'), expectStatus: z.number().int().min(100).max(599).optional(), ...healthCommon }),
  z.strictObject({ cmd: z.array(template()).min(1).max(64).describe('Command run inside the container (docker exec); exit code 0 passes'), ...healthCommon }),
]);
/** One check, or a list checked in order (each must pass before the next is tried). */
const HealthSchema = z.union([HealthCheckSchema, z.array(HealthCheckSchema).min(1).max(16)]);

export const SecretSchema = z.strictObject({
  name: paramName,
  kind: z.enum(['rsa-2048', 'rsa-4096', 'hex-32', 'password']),
  description: text(1000).optional(),
});

export const ContainerSchema = z.strictObject({
  name: id,
  image: id.describe('id of an image artifact of this recipe'),
  command: z.array(line()).max(256).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(255), envValue).optional().describe('Values may use ${param}, ${secret.NAME} and ${artifact.ID}'),
  ports: z.array(z.string().regex(/^(?:[0-9.]+:)?[0-9]{1,5}:[0-9]{1,5}(?:\/(?:tcp|udp))?$/)).max(64).optional(),
  volumes: z.array(line()).max(64).optional().describe('HOST:CONTAINER[:ro]; HOST may be ${artifact.ID}'),
  gpu: z.union([z.literal('all'), z.literal('none'), z.number().int().min(1).max(64)]).optional(),
  health: HealthSchema.optional(),
  caBundle: z.boolean().optional().describe('Mount the GitLab private CA file (when given) read-only and point REQUESTS_CA_BUNDLE and SSL_CERT_FILE at it'),
  dependsOn: z.array(id).max(64).optional(),
  restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
  when: WhenSchema.optional(),
});

export const OutputSchema = z.strictObject({
  label: text(255).min(1),
  value: template(65_536),
  when: WhenSchema.optional(),
});

/** A request run from the install host once every container is healthy (e.g. a chat completion through the gateway). */
export const VerifySchema = z.strictObject({
  name: id,
  http: line().describe('URL requested from the install host, e.g. http://127.0.0.1:41002/v1/chat/completions; may use ${param}'),
  method: z.enum(['GET', 'POST', 'PUT']).optional().describe('Default GET'),
  body: template(65_536).optional().describe('Request body (sent as application/json); may use ${param}'),
  expectStatus: z.number().int().min(100).max(599).optional().describe('Default: any 2xx'),
  expectBody: template(4096).optional().describe('Text the response body must contain'),
  timeout: z.number().int().min(1).max(3600).optional().describe('Seconds to keep retrying (default 30)'),
  when: WhenSchema.optional(),
});

export const InstallSchema = z.strictObject({
  secrets: z.array(SecretSchema).max(100).optional(),
  containers: z.array(ContainerSchema).max(100).optional(),
  verify: z.array(VerifySchema).max(50).optional().describe('Checks of the whole stack, run after every container is healthy'),
  outputs: z.array(OutputSchema).max(100).optional(),
});

/** What signature images from a registry or repository prefix must carry (docs/supply-chain.md, "Signature policy"). */
export const SignatureRuleSpecSchema = z.strictObject({
  match: z.string().min(1).max(255).describe('Registry or repository prefix, e.g. registry.gitlab.com/gitlab-org; the longest matching rule wins'),
  require: z.enum(['none', 'cosign-key', 'sigstore']).describe('none, a cosign key signature, or a Sigstore bundle (keyless)'),
  key: z.string().min(1).max(16_384).optional().describe('cosign-key: the public key PEM, or a path to it relative to the recipe file'),
  identity: z.string().min(1).max(1024).optional().describe('sigstore: certificate identity (SAN), e.g. an e-mail or workflow URI'),
  issuer: z.string().min(1).max(1024).optional().describe('sigstore: OIDC issuer, e.g. https://token.actions.githubusercontent.com'),
  trustedRoot: z.string().min(1).max(4096).optional().describe('sigstore: path to a trusted_root.json, relative to the recipe file'),
  tlogThreshold: z.number().int().min(0).max(8).optional().describe('sigstore: Rekor entries required (default 1; 0 for a private Sigstore without a log)'),
  ctlogThreshold: z.number().int().min(0).max(8).optional().describe('sigstore: certificate SCTs required (default 1; 0 for a private Sigstore without a CT log)'),
});

export const RecipeSchema = z
  .strictObject({
    format: z.literal(RECIPE_FORMAT),
    id,
    title: text(200).min(1),
    description: text(4000).optional(),
    version: z.string().regex(/^[0-9]+(?:\.[0-9]+){0,2}$/, 'must be a version like 1 or 1.2.0'),
    parameters: z.array(ParameterSchema).max(100).optional(),
    artifacts: z.strictObject({
      images: z.array(ImageArtifactSchema).max(200).optional(),
      models: z.array(ModelArtifactSchema).max(50).optional(),
      ollama: z.array(OllamaArtifactSchema).max(50).optional(),
      files: z.array(FileArtifactSchema).max(200).optional(),
    }),
    install: InstallSchema.optional(),
    signatures: z.array(SignatureRuleSpecSchema).max(100).optional().describe('Signature policy for this recipe\'s images; station rules take precedence'),
  })
  .describe('A Ferry recipe: parameters, the artifacts to carry across the air gap, and how to install them');

export type Recipe = z.infer<typeof RecipeSchema>;
export type Parameter = z.infer<typeof ParameterSchema>;
export type SignatureRuleSpec = z.infer<typeof SignatureRuleSpecSchema>;
export type ContainerSpec = z.infer<typeof ContainerSchema>;
export type HealthCheckSpec = z.infer<typeof HealthCheckSchema>;
export type VerifySpec = z.infer<typeof VerifySchema>;
export type When = z.infer<typeof WhenSchema>;
export type TagRule = z.infer<typeof TagRuleSchema>;
export type ImageArtifactSpec = z.infer<typeof ImageArtifactSchema>;
export type SourceImageArtifactSpec = z.infer<typeof SourceImageArtifactSchema>;
export type DerivedImageArtifactSpec = z.infer<typeof DerivedImageArtifactSchema>;
export type ModelArtifactSpec = z.infer<typeof ModelArtifactSchema>;
export type OllamaArtifactSpec = z.infer<typeof OllamaArtifactSchema>;
export type FileArtifactSpec = z.infer<typeof FileArtifactSchema>;
export type ParamValue = string | boolean;
export type ParamValues = Record<string, ParamValue>;

export const isDerivedImage = (a: ImageArtifactSpec): a is DerivedImageArtifactSpec => 'from' in a;

/** The JSON Schema published as docs/recipe.schema.json. */
export function recipeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RecipeSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Ferry recipe',
    ...schema,
  };
}
