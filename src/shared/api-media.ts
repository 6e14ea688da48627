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
  /** The offline kit counted whole on volume 1 (absent when planned without it). */
  kit?: { files: number; bytes: number };
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

export interface MediaInvokeApi {
  'media:detect': (arg: Record<string, never>) => Promise<{ drives: DriveView[]; refused: { device: string; reason: string }[] }>;
  /** `kit`: count the offline kit on volume 1 (default true); `kitDir`: that kit folder rather than the bundle's ferry/ or this station's kit. */
  'media:plan': (arg: { dir: string; volumeSize: string; fs?: string; kit?: boolean; kitDir?: string }) => Promise<MediaPlanView>;
  /** `kit`: put the offline kit on volume 1 under ferry/ (default true); `kitDir` as for media:plan. */
  'media:write': (arg: { dir: string; targets: string[]; volumeSize?: string; fs?: string; unapprovedReason?: string; kit?: boolean; kitDir?: string }) => Promise<JobInfo>;
  'media:verify': (arg: { dirs: string[] }) => Promise<JobInfo>;
}
