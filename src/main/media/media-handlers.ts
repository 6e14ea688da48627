import type { InvokeArg, InvokeResult } from '../../shared/api';
import type { MediaInvokeApi, MediaPlanView } from '../../shared/api-media';
import { actingIfAny, asCaller, type CallContext } from '../api/call-context';
import type { ActingIdentity } from '../identity/identity-store';
import type { Services } from '../core/services';
import { detectDrives } from './detect';
import { parseFsName } from './fs-rules';
import { planMedia, verifyMedia, writeMedia } from './media-service';
import { parseSize } from './size';

type Channel = keyof MediaInvokeApi;
type MediaHandlers = { [C in Channel]: (arg: InvokeArg<C>, ctx: CallContext) => Promise<InvokeResult<C>> };

const sizes = (v: string): number[] => v.split(',').map((s) => parseSize(s.trim()));
/** The kit is on by default for the app (as for the CLI); `kit: false` leaves it off. */
const kitRequest = (kit: boolean | undefined, kitDir: string | undefined): { kit?: { kitDir?: string } } => (kit === false ? {} : { kit: kitDir ? { kitDir } : {} });

/** `media:*`: the media screen's detection, plan, write and volume verification. */
export function mediaHandlers(s: Services): MediaHandlers {
  /** The services as the caller uses them: custody events signed by them. */
  const servicesOf = (acting: ActingIdentity | undefined): Services => (acting ? { ...s, custody: s.custody.signedBy(asCaller(acting).as) } : s);
  return {
    'media:detect': async () => {
      const r = await detectDrives({ dataDir: s.dataDir });
      return {
        refused: r.refused,
        drives: r.drives.map((d) => ({
          device: d.device,
          size: d.size,
          ...(d.transport ? { transport: d.transport } : {}),
          ...(d.vendor ? { vendor: d.vendor } : {}),
          ...(d.model ? { model: d.model } : {}),
          ...(d.serial ? { serial: d.serial } : {}),
          volumes: d.volumes.map((v) => ({ device: v.device, ...(v.fstype ? { fstype: v.fstype } : {}), ...(v.label ? { label: v.label } : {}), ...(v.mountpoint ? { mountpoint: v.mountpoint } : {}), ...(v.free !== undefined ? { free: v.free } : {}) })),
        })),
      };
    },
    'media:plan': async ({ dir, volumeSize, fs, kit, kitDir }) => {
      const { bundleId, plan } = await planMedia(dir, { volumeSize: sizes(volumeSize), fs: parseFsName(fs ?? 'fat32'), ...kitRequest(kit, kitDir) }, { dataDir: s.dataDir });
      const split = new Map<string, number[]>();
      for (const v of plan.volumes) for (const e of v.entries) if (e.part) split.set(e.path, [...(split.get(e.path) ?? []), v.index]);
      const view: MediaPlanView = {
        bundleId,
        fs: plan.fs,
        files: plan.files,
        bytes: plan.bytes,
        volumes: plan.volumes.map((v) => {
          const parts = v.entries.filter((e) => e.part).length;
          return { index: v.index, capacity: v.capacity, bytes: v.bytes, files: v.entries.length - parts, parts };
        }),
        split: [...split].map(([path, volumes]) => ({ path, volumes: [...new Set(volumes)] })),
        ...(plan.kit ? { kit: plan.kit } : {}),
      };
      return view;
    },
    'media:write': async ({ dir, targets, volumeSize, fs, unapprovedReason, kit, kitDir }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'reviewer', 'admin']);
      const as = servicesOf(acting); // the job's custody events are the caller's
      return s.jobs.start('media.write', `Write ${dir} to media`, { dir, targets, volumeSize, fs, unapprovedReason, kit, kitDir, ...(acting ? { by: acting.name } : {}) }, async (job) => {
        const r = await writeMedia(dir, targets, { fs: fs ? parseFsName(fs) : undefined, volumeSize: volumeSize ? sizes(volumeSize) : undefined, unapprovedReason, ...kitRequest(kit, kitDir) }, as, job);
        return {
          bundleId: r.bundleId,
          complete: r.complete,
          bytes: r.bytes,
          skipped: r.skipped,
          ...(r.remaining ? { remaining: r.remaining } : {}),
          volumes: r.volumes.map((v) => ({
            volume: v.volume,
            count: v.count,
            dir: v.dir,
            volumeId: v.volumeId,
            ...(v.mediaSerial ? { mediaSerial: v.mediaSerial } : {}),
            state: v.state,
            ...(v.note ? { note: v.note } : {}),
            files: v.files.length,
            bytes: v.bytes,
            readBackOk: v.readBack.ok,
            ...(v.readBack.mismatches.length > 0 ? { readBackMismatches: v.readBack.mismatches } : {}),
            ...(v.readBack.cacheDropped ? {} : { readBackFromCache: true }),
            ...(v.kit ? { kit: v.kit } : {}),
          })),
        };
      });
    },
    'media:verify': async ({ dirs }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'reviewer', 'admin']);
      return s.jobs.start('media.verify', `Verify ${dirs.length} volume(s)`, { dirs, ...(acting ? { by: acting.name } : {}) }, (job) => verifyMedia(dirs, servicesOf(acting), job));
    },
  };
}
