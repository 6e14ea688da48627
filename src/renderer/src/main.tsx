import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { initApi } from './api/client';
import { useConnection } from './api/connection';
import { NoToken } from './screens/NoToken';
import { loadAppInfo } from './state/app';
import { startCustodyFeed, syncCustody } from './state/custody';
import { startJobsFeed, syncJobs } from './state/jobs';
import './styles.css';

function start(): void {
  startJobsFeed();
  startCustodyFeed();
  const resync = () => {
    syncJobs().catch((err) => console.error('ferry: job:list failed', err));
    void syncCustody();
  };
  void loadAppInfo();
  resync();
  // Events sent while the stream was down are lost: re-read the lists on every reconnect.
  useConnection.subscribe((s, prev) => {
    if (s.epoch !== prev.epoch) resync();
  });
}

const root = createRoot(document.getElementById('root')!);
const init = initApi();
if (init.ok) {
  start();
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
} else {
  root.render(<NoToken />);
}
