import { ipcMain, type WebContents } from 'electron';
import { INVOKE_CHANNELS } from '../shared/api';
import { toErrorShape } from '../shared/errors';
import { dispatch, subscribeEvents, type Handlers } from './api/handlers';
import type { Services } from './core/services';

/** The only place ipcMain is used: one handler per contract channel, errors as {error}. */
export function registerIpc(handlers: Handlers): void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, async (_event, arg: unknown) => {
      try {
        return { result: await dispatch(handlers, channel, arg) };
      } catch (err) {
        return { error: toErrorShape(err) };
      }
    });
  }
}

/** Forwards service events to one window until it goes away. */
export function forwardEvents(services: Services, contents: WebContents): void {
  const unsubscribe = subscribeEvents(services, (event, payload) => {
    if (!contents.isDestroyed()) contents.send(event, payload);
  });
  contents.once('destroyed', unsubscribe);
}
