import { BrowserWindow, dialog, shell } from 'electron';
import { join } from 'node:path';
import { CSP } from './server/static-files';

/** A sandboxed window: no Node in the renderer, isolated preload, strict CSP, no navigation. */
export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    title: 'Ferry',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.session.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    void confirmExternal(win, url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== win.webContents.getURL()) {
      e.preventDefault();
      void confirmExternal(win, url);
    }
  });
  win.once('ready-to-show', () => win.show());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(join(__dirname, '../renderer/index.html'));
  return win;
}

async function confirmExternal(win: BrowserWindow, url: string): Promise<void> {
  if (!/^https?:\/\//.test(url)) return;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Cancel', 'Open in browser'],
    defaultId: 0,
    message: 'Open an external link?',
    detail: url,
  });
  if (response === 1) await shell.openExternal(url);
}
