import { FerryError } from '../../shared/errors';
import type { OciLayout } from '../oci/layout';
import type { Descriptor } from '../registry/manifest-schema';
import { DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_LAYER_GZIP, OCI_MANIFEST } from '../registry/media-types';

// Appends one layer to an image already in an OCI layout, as a Dockerfile RUN step would:
// the layer blob, a config with the layer's diff_id and a history entry appended, and a
// manifest naming the base's layers plus the new one. The base image is left as it is.

const MAX_MANIFEST = 4 << 20;
const MAX_CONFIG = 8 << 20;

export interface LayerToAdd {
  /** The gzip'd layer. */
  gz: Buffer;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** history[].created_by, e.g. "ferry: npm install --global @gitlab/duo-cli@8.86.0". */
  createdBy: string;
}

export interface DerivedManifest {
  manifest: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
  layers: Descriptor[];
  /** Manifest, config and layers: the bytes the derived image takes. */
  size: number;
}

interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  [k: string]: unknown;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new FerryError(`${what} is not JSON`, 'The image layout is damaged; acquire again.');
  }
}

/** Builds the derived image from the base manifest `baseDigest` in `layout` and stores its blobs (not named in index.json). */
export async function deriveImage(layout: OciLayout, baseDigest: string, baseMediaType: string, layer: LayerToAdd): Promise<DerivedManifest> {
  if (baseMediaType !== OCI_MANIFEST && baseMediaType !== DOCKER_MANIFEST) {
    throw new FerryError(`Base image ${baseDigest} is a ${baseMediaType}, not an image manifest`, 'Derive from a single-platform image.');
  }
  const base = parseJson<Manifest>(await layout.readBlob(baseDigest, MAX_MANIFEST), `Manifest ${baseDigest}`);
  if (!base.config?.digest || !Array.isArray(base.layers)) throw new FerryError(`Manifest ${baseDigest} has no config or layers`, 'Derive from an image manifest.');
  const config = parseJson<Record<string, unknown>>(await layout.readBlob(base.config.digest, MAX_CONFIG), `Config ${base.config.digest}`);
  const rootfs = config.rootfs as { type?: string; diff_ids?: string[] } | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids) || rootfs.diff_ids.length !== base.layers.length) {
    throw new FerryError(`Config ${base.config.digest} lists ${rootfs?.diff_ids?.length ?? 0} diff_ids for ${base.layers.length} layers`, 'The base image is malformed; a layer cannot be appended to it.');
  }
  const history = Array.isArray(config.history) && config.history.length > 0 ? (config.history as Record<string, unknown>[]) : base.layers.map(() => ({ comment: 'base layer' }));
  const newConfig = {
    ...config,
    rootfs: { ...rootfs, type: 'layers', diff_ids: [...rootfs.diff_ids, layer.diffId] },
    history: [...history, { created_by: layer.createdBy, comment: 'ferry' }],
  };
  const layerDesc = await layout.putBlobBytes(layer.gz, baseMediaType === DOCKER_MANIFEST ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP);
  const configDesc = await layout.putBlobBytes(Buffer.from(JSON.stringify(newConfig)), base.config.mediaType);
  // The base's annotations describe the base, and a derived image is no referrer (subject).
  const { annotations: _annotations, subject: _subject, ...rest } = base;
  const desc = (d: Descriptor): Descriptor => ({ mediaType: d.mediaType, digest: d.digest, size: d.size });
  const manifest: Manifest = { ...rest, config: desc(configDesc), layers: [...base.layers, desc(layerDesc)] };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDesc = await layout.putBlobBytes(manifestBytes, baseMediaType);
  const layers = manifest.layers;
  return {
    manifest: manifestDesc,
    manifestBytes,
    config: configDesc,
    layers,
    size: manifestBytes.length + configDesc.size + layers.reduce((s, l) => s + l.size, 0),
  };
}
