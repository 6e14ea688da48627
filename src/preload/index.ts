import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, INVOKE_CHANNELS, type EventApi, type EventChannel, type FerryApi, type InvokeChannel } from '../shared/api';
import { fromErrorShape } from '../shared/errors';

// The one API object the sandboxed renderer gets. Only contract channels pass.
const api: FerryApi = {
  async invoke(channel, arg) {
    if (!INVOKE_CHANNELS.includes(channel as InvokeChannel)) throw new Error(`Unknown channel ${String(channel)}`);
    const reply = (await ipcRenderer.invoke(channel, arg)) as { result?: unknown; error?: { name: string; message: string; hint?: string } };
    if (reply.error) throw fromErrorShape(reply.error);
    return reply.result as never;
  },
  on(event, listener) {
    if (!EVENT_CHANNELS.includes(event as EventChannel)) throw new Error(`Unknown event ${String(event)}`);
    const wrapped = (_e: IpcRendererEvent, payload: EventApi[typeof event]): void => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => void ipcRenderer.removeListener(event, wrapped);
  },
};

/** The native folder dialog (main/ipc.ts PICK_FOLDER): the chosen folder, or null when canceled. */
const pickFolder = async (defaultPath?: string): Promise<string | null> => (await ipcRenderer.invoke('dialog:pick-folder', defaultPath)) as string | null;

contextBridge.exposeInMainWorld('ferry', { ...api, pickFolder });
