// What `ferry upgrade` shows and returns: the changes between the installed bundle and the new
// one, the notes the new bundle carries, the backup taken, and how it ended.

export type Change = 'added' | 'removed' | 'changed' | 'unchanged';

export interface ImageChange {
  id: string;
  target: string;
  change: Change;
  old?: { ref: string; digest: string };
  new?: { ref: string; digest: string };
}

export interface FieldChange {
  /** e.g. "image", "env.DATABASE_URL", "ports", "volumes", "command", "restart". */
  field: string;
  old?: string;
  new?: string;
}

export interface ContainerChange {
  name: string;
  change: Change;
  fields: FieldChange[];
}

export interface ModelChange {
  id: string;
  change: Change;
  old?: { repo: string; revision: string; size: number };
  new?: { repo: string; revision: string; size: number };
}

export interface ParamChange {
  name: string;
  old?: string;
  new?: string;
}

export interface UpgradeDiff {
  recipe: { id: string; title: string; oldVersion: string; newVersion: string };
  oldBundleId: string;
  newBundleId: string;
  images: ImageChange[];
  params: ParamChange[];
  containers: ContainerChange[];
  models: ModelChange[];
  secretsAdded: string[];
}

export interface BackupFileEntry {
  /** Path inside the backup folder. */
  path: string;
  size: number;
  sha256: string;
  /** install-record | secret | volume | custody-db */
  kind: string;
  /** For volumes: the engine volume name and where it was mounted. */
  volume?: string;
  mountPath?: string;
}

export interface BackupManifest {
  format: 'ferry.upgrade-backup.v1';
  installId: string;
  bundleId: string;
  createdAt: string;
  dir: string;
  files: BackupFileEntry[];
  /** The containers of the stack as they ran: name, image ref, engine image id. */
  containers: { name: string; image: string; imageId: string }[];
  volumes: { name: string; mountPath: string; container: string; labels: Record<string, string>; driver: string }[];
}

export interface UpgradeResult {
  installId: string;
  outcome: 'planned' | 'upgraded' | 'rolled-back';
  diff: UpgradeDiff;
  notes: { releaseNotes?: string; migrationGuide?: string };
  backup?: { dir: string; files: number; manifestSha256: string };
  /** Why the upgrade failed (rolled-back only). */
  failure?: { step: string; message: string; hint?: string };
}
