import { app, BrowserWindow } from 'electron';
import { createHandlers } from './api/handlers';
import { defaultDataDir } from './core/paths';
import { createServices } from './core/services';
import { SessionRegistry } from './identity/session';
import { forwardEvents, registerIpc } from './ipc';
import { createMainWindow } from './window';

// The Electron shell: window + IPC wiring only; all work happens in Electron-free services.
app.enableSandbox();

void app.whenReady().then(() => {
  const services = createServices({ dataDir: defaultDataDir() });
  const sessions = new SessionRegistry(services.db); // one login per window
  registerIpc(createHandlers(services), sessions);
  const open = (): void => forwardEvents(services, createMainWindow().webContents, sessions);
  open();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void services.close());
});
