import type { FerryApi } from '../../../shared/api';

declare global {
  interface Window {
    /** Exposed by the sandboxed preload through contextBridge; absent in headless mode. */
    readonly ferry?: FerryApi & {
      /** Electron only: the native folder dialog; the chosen folder, or null when canceled. */
      pickFolder?: (defaultPath?: string) => Promise<string | null>;
    };
  }
}

export {};
