// The Receive screen's draft, kept across navigation: the bundle folder, what the custody import
// found (its bundle id prefills the receipt), the receipt form and the last trust check.
import { create } from 'zustand';
import type { CustodyEvent } from '../../../../shared/api';
import type { CustodyImportResult } from '../../../../shared/channels/custody-admin';
import type { TrustCheckView } from '../../../../shared/channels/trust-check';

export interface ReceiptDraft {
  bundleId: string;
  serials: string;
  seals: string;
  sealIntact: 'yes' | 'no' | '';
  condition: string;
}

interface ReceiveStore {
  dir: string;
  imported: CustodyImportResult | null;
  receipt: ReceiptDraft;
  recorded: CustodyEvent | null;
  trust: TrustCheckView | null;
  /** The folder the trust check was made for. */
  trustDir: string | null;
  setDir(dir: string): void;
  setReceipt(p: Partial<ReceiptDraft>): void;
}

export const useReceive = create<ReceiveStore>((set) => ({
  dir: '',
  imported: null,
  receipt: { bundleId: '', serials: '', seals: '', sealIntact: '', condition: '' },
  recorded: null,
  trust: null,
  trustDir: null,
  setDir: (dir) => set({ dir }),
  setReceipt: (p) => set((s) => ({ receipt: { ...s.receipt, ...p } })),
}));

/** Serials or seal numbers as typed: one per line or comma-separated, trimmed, empty ones dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The `received` event's details (the keys the custody report reads: serials, seals, sealIntact). */
export function receiptDetails(r: ReceiptDraft): Record<string, string | string[]> {
  const details: Record<string, string | string[]> = {};
  const serials = splitList(r.serials);
  const seals = splitList(r.seals);
  if (serials.length) details.serials = serials;
  if (seals.length) details.seals = seals;
  if (r.sealIntact) details.sealIntact = r.sealIntact;
  if (r.condition.trim()) details.condition = r.condition.trim();
  return details;
}
