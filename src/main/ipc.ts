import { BrowserWindow, dialog, ipcMain, type WebContents } from 'electron';
import { INVOKE_CHANNELS } from '../shared/api';
import { toErrorShape } from '../shared/errors';
import { dispatch, subscribeEvents, type Handlers } from './api/handlers';
import { contextOf } from './api/identity-handlers';
import type { Services } from './core/services';
import type { SessionRegistry } from './identity/session';

const windowKey = (contents: WebContents): string => `window:${contents.id}`;

/**
 * The only place ipcMain is used: one handler per contract channel, errors as {error}.
 * Each window signs in on its own: its login is keyed by the sender's webContents.
 */
export function registerIpc(handlers: Handlers, sessions: SessionRegistry): void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (event, arg: unknown) => {
      try {
        const slot = sessions.slot(windowKey(event.sender));
        return { result: await dispatch(handlers, channel, arg, contextOf(slot, channel)) };
      } catch (err) {
        return { error: toErrorShape(err) };
      }
    });
  }
  // The folder picker (components/FolderPicker.tsx): the native dialog; it only returns a path the user chose.
  ipcMain.handle(PICK_FOLDER, async (event, defaultPath: unknown) => {
    const opts: Electron.OpenDialogOptions = { properties: ['openDirectory', 'createDirectory'], ...(typeof defaultPath === 'string' && defaultPath.length <= 4096 ? { defaultPath } : {}) };
    const win = BrowserWindow.fromWebContents(event.sender);
    const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
}

/** The IPC channel of the native folder dialog (not an API channel: Electron only). */
export const PICK_FOLDER = 'dialog:pick-folder';

/** Forwards service events to one window until it goes away; its login goes with it. */
export function forwardEvents(services: Services, contents: WebContents, sessions: SessionRegistry): void {
  const unsubscribe = subscribeEvents(services, (event, payload) => {
    if (!contents.isDestroyed()) contents.send(event, payload);
  });
  const key = windowKey(contents);
  contents.once('destroyed', () => {
    unsubscribe();
    sessions.close(key);
  });
}
