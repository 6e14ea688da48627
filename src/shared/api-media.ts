// Contract for removable media: detection, planning, writing and verifying volumes.
import type { ApiOf } from './contract';
import type { MEDIA_CHANNELS } from './channels/media';

export interface DriveView {
  device: string;
  size: number;
  transport?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  volumes: { device: string; fstype?: string; label?: string; mountpoint?: string; free?: number }[];
}

export interface MediaPlanView {
  bundleId: string;
  fs: string;
  files: number;
  bytes: number;
  volumes: { index: number; capacity: number; bytes: number; files: number; parts: number }[];
  split: { path: string; volumes: number[] }[];
  /** The offline kit counted whole on volume 1 (absent when planned without it). */
  kit?: { files: number; bytes: number };
}

/** What a volume's label says about it, as written and as read back. */
export interface VolumeLabelSummary {
  /** Volumes in the set. */
  count: number;
  dir: string;
  volumeId: string;
  mediaSerial?: string;
  state: 'complete' | 'incomplete';
  note?: string;
  files: number;
  bytes: number;
}

export interface VolumeWriteView extends VolumeLabelSummary {
  volume: number;
  readBackOk: boolean;
  /** Files whose read-back did not match what was written (by their name on the medium). */
  readBackMismatches?: string[];
  /** The read-back may have come from the page cache (neither O_DIRECT nor dropping the cached pages worked here). */
  readBackFromCache?: true;
  /** The offline kit this volume carries under ferry/ (volume 1 of a write with the kit). */
  kit?: { dir: string; version: string; platform: string; nodeVersion: string; sha256: string; files: number; bytes: number };
}

export interface MediaWriteView {
  bundleId: string;
  complete: boolean;
  bytes: number;
  volumes: VolumeWriteView[];
  skipped: { dir: string; reason: string }[];
  remaining?: { files: number; bytes: number };
}

export type MediaInvokeApi = ApiOf<typeof MEDIA_CHANNELS>;
