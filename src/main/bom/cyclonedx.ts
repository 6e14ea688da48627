import type { Serialize, Validation } from '@cyclonedx/cyclonedx-library';
import type { ModelArtifact } from '../bundle/manifest-schema';
import { bomModel, type BomSource } from './bom-model';
import { modelCardJson, type ModelInfo } from './model-card';
import { BOM_FILE, BOM_SPEC_VERSION, BomError, type BomJson } from './bom-format';

export { BOM_FILE, BOM_FORMAT, BOM_SPEC_VERSION, BomError, type BomJson, type BomJsonComponent } from './bom-format';

// Start-up: the library (and ajv, for the validator) loads when a BOM is first built or validated.
const cdx = (): typeof import('@cyclonedx/cyclonedx-library') => require('@cyclonedx/cyclonedx-library') as typeof import('@cyclonedx/cyclonedx-library');
let factory: Serialize.JSON.Normalize.Factory | undefined;
let validator: Validation.JsonStrictValidator | undefined;

/** The CycloneDX schema files could not be loaded (e.g. a bundled CLI without the library's res/schema folder). */
export class BomSchemaUnavailableError extends BomError {}

/** The BOM as JSON data: the library's normalized model, lists sorted, plus each model's modelCard (which the library does not model). */
export function bomJson(m: BomSource, modelInfo: ReadonlyMap<string, ModelInfo> = new Map()): BomJson {
  const { Serialize, Spec } = cdx();
  factory ??= new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6);
  const json = factory.makeForBom().normalize(bomModel(m), { sortLists: true }) as unknown as BomJson;
  for (const a of m.artifacts) {
    if (a.kind !== 'model') continue;
    const card = modelCardJson(a as ModelArtifact, modelInfo.get(a.repo) ?? {});
    const c = (json.components ?? []).find((x) => x.type === 'machine-learning-model' && x.name === a.repo && x.version === a.revision && !x.modelCard);
    if (card && c) c.modelCard = card;
  }
  return json;
}

/** Validates against the CycloneDX 1.6 JSON schema the library ships; throws naming the first problem. */
export async function validateBom(text: string, what = BOM_FILE): Promise<void> {
  const { Validation: V, Spec } = cdx();
  validator ??= new V.JsonStrictValidator(Spec.Version.v1dot6);
  let problem: unknown;
  try {
    problem = await validator.validate(text);
  } catch (err) {
    throw new BomSchemaUnavailableError(`${what}: the CycloneDX ${BOM_SPEC_VERSION} schema could not be loaded: ${(err as Error).message}`, 'Ferry needs @cyclonedx/cyclonedx-library with ajv, ajv-formats and ajv-formats-draft2019 to write a BOM.');
  }
  if (problem !== null) {
    const first = Array.isArray(problem) ? (problem[0] as { instancePath?: string; message?: string } | undefined) : undefined;
    const where = first ? `${first.instancePath || '(root)'} ${first.message ?? ''}`.trim() : JSON.stringify(problem).slice(0, 300);
    throw new BomError(`${what} does not validate against CycloneDX ${BOM_SPEC_VERSION}: ${where}`, 'This is a bug in Ferry\'s BOM writer; report it with the bundle\'s manifest.json.');
  }
}

/**
 * Loads the library and compiles the schema validator ahead of need (about 0.4 s of CPU here), at a
 * moment the thread would otherwise wait: bundle create calls it as the downloads start, so the
 * validation of the finished BOM costs nothing more then. Failures surface at that validation.
 */
export function warmBomValidator(): void {
  setImmediate(() => void validateBom('{}').catch(() => undefined));
}

/** The bytes of a BOM: compact JSON and a final newline (a bundle's BOM lists every file; `jq` pretty-prints it). */
export const bomText = (json: BomJson): string => `${JSON.stringify(json)}\n`;

/** bomText, validated before it is returned. */
export async function bomBytes(json: BomJson, what = BOM_FILE): Promise<Buffer> {
  const text = bomText(json);
  await validateBom(text, what);
  return Buffer.from(text);
}
