// Contract for removable media: detection, planning, writing and verifying volumes.
import type { JobInfo } from './api';

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
}

export interface VolumeWriteView {
  volume: number;
  count: number;
  dir: string;
  volumeId: string;
  mediaSerial?: string;
  state: 'complete' | 'incomplete';
  note?: string;
  files: number;
  bytes: number;
  readBackOk: boolean;
}

export interface MediaWriteView {
  bundleId: string;
  complete: boolean;
  bytes: number;
  volumes: VolumeWriteView[];
  skipped: { dir: string; reason: string }[];
  remaining?: { files: number; bytes: number };
}

export interface MediaInvokeApi {
  'media:detect': (arg: Record<string, never>) => Promise<{ drives: DriveView[]; refused: { device: string; reason: string }[] }>;
  'media:plan': (arg: { dir: string; volumeSize: string; fs?: string }) => Promise<MediaPlanView>;
  'media:write': (arg: { dir: string; targets: string[]; volumeSize?: string; fs?: string; unapprovedReason?: string }) => Promise<JobInfo>;
  'media:verify': (arg: { dirs: string[] }) => Promise<JobInfo>;
}
