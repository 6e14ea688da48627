// The one API object the UI talks to. Which transport carries it is decided once, at
// startup: Electron's preload bridge (`window.ferry`) when present, otherwise the headless
// server over loopback HTTP. Nothing else in the renderer knows the difference.
import type { FerryApi } from '../../../shared/api';
import { useConnection } from './connection';
import { HttpTransport, takeToken } from './http';

export type Transport = 'electron' | 'http';
export type InitResult = { ok: true; transport: Transport } | { ok: false; reason: 'no-token' };

let impl: FerryApi | null = null;

export function initApi(): InitResult {
  if (window.ferry) {
    impl = window.ferry;
    useConnection.getState().set('live');
    return { ok: true, transport: 'electron' };
  }
  const token = takeToken();
  if (!token) return { ok: false, reason: 'no-token' };
  impl = new HttpTransport(token);
  return { ok: true, transport: 'http' };
}

function need(): FerryApi {
  if (!impl) throw new Error('initApi() must run before the API is used');
  return impl;
}

export const api: FerryApi = {
  invoke: (channel, arg) => need().invoke(channel, arg),
  on: (event, listener) => need().on(event, listener),
};
