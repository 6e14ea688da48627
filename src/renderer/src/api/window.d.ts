import type { FerryApi } from '../../../shared/api';

declare global {
  interface Window {
    /** Exposed by the sandboxed preload through contextBridge; absent in headless mode. */
    readonly ferry?: FerryApi;
  }
}

export {};
