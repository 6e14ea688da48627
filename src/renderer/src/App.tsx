import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useConnection } from './api/connection';
import { EngineStatus } from './components/EngineStatus';
import { JobList } from './components/JobList';
import { LoginControl } from './components/LoginControl';
import { Bundles } from './screens/Bundles';
import { CreateBundle } from './screens/CreateBundle';
import { CustodyLog } from './screens/CustodyLog';
import { Install } from './screens/Install';
import { Media } from './screens/Media';
import { NoToken } from './screens/NoToken';
import { Onboarding, useOnboardingGate } from './screens/Onboarding';
import { Receive } from './screens/Receive';
import { Settings } from './screens/Settings';
import { Trust } from './screens/Trust';
import { Upgrade } from './screens/Upgrade';
import { VerifyImport } from './screens/VerifyImport';
import { useApp, type Screen } from './state/app';

const NAV: { role: string; items: { screen: Screen; label: string }[] }[] = [
  { role: 'Operator', items: [{ screen: 'create', label: 'Create bundle' }, { screen: 'media', label: 'Media' }] },
  { role: 'Reviewer', items: [{ screen: 'review', label: 'Review bundle' }] },
  {
    role: 'Offline admin',
    items: [
      { screen: 'receive', label: 'Receive' },
      { screen: 'verify', label: 'Verify & import' },
      { screen: 'install', label: 'Guided install' },
      { screen: 'upgrade', label: 'Upgrade' },
      { screen: 'trust', label: 'Trusted keys' },
    ],
  },
  { role: 'Everyone', items: [{ screen: 'custody', label: 'Custody log' }, { screen: 'settings', label: 'Settings' }] },
];

const SCREENS: Record<Screen, () => React.JSX.Element> = {
  create: CreateBundle,
  review: Bundles,
  media: Media,
  receive: Receive,
  verify: VerifyImport,
  install: Install,
  upgrade: Upgrade,
  custody: CustodyLog,
  trust: Trust,
  settings: Settings,
};

const CONN_LABEL = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', unauthorized: 'Unauthorized' };

function TopBar() {
  const { info, infoError } = useApp(useShallow((s) => ({ info: s.info, infoError: s.infoError })));
  const conn = useConnection((s) => s.state);
  return (
    <header className="topbar">
      <div className="brand">Ferry</div>
      <div className="topbar-facts">
        {infoError && <span className="text-bad" title={infoError}>Station info unavailable</span>}
        <span className="fact">
          <span className="fact-label">Station</span>
          <span className="fact-value" data-testid="app-station">{info?.station ?? '…'}</span>
        </span>
        <span className="fact" title="The operating-system user running the Ferry service: context only. Actions are recorded under the identity signed in here.">
          <span className="fact-label">OS user</span>
          <span className="fact-value" data-testid="app-actor">{info?.actor ?? '…'}</span>
        </span>
        <EngineStatus variant="fact" />
        <LoginControl />
        <span className={`conn conn-${conn}`} data-testid="connection" title="Event stream from the Ferry service">
          <span className="conn-dot" />
          {CONN_LABEL[conn]}
        </span>
      </div>
    </header>
  );
}

function SideNav() {
  const { screen, go, info } = useApp(useShallow((s) => ({ screen: s.screen, go: s.go, info: s.info })));
  return (
    <nav className="sidebar" aria-label="Screens">
      {NAV.map((g) => (
        <div key={g.role} className="nav-group">
          <div className="nav-heading">{g.role}</div>
          {g.items.map((it) => (
            <button
              key={it.screen}
              type="button"
              className={`nav-item${screen === it.screen ? ' active' : ''}`}
              aria-current={screen === it.screen ? 'page' : undefined}
              data-testid={`nav-${it.screen}`}
              onClick={() => go(it.screen)}
            >
              {it.label}
            </button>
          ))}
        </div>
      ))}
      <JobList />
      <div className="sidebar-foot" title={info?.dataDir}>
        {info ? `Ferry ${info.version}` : ''}
      </div>
    </nav>
  );
}

export function App() {
  const screen = useApp((s) => s.screen);
  const conn = useConnection((s) => s.state);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    main.current?.scrollTo(0, 0);
  }, [screen]);
  const setup = useOnboardingGate();
  if (conn === 'unauthorized') return <NoToken rejected />;
  if (setup.show) return <Onboarding onDone={setup.done} onSkip={setup.skip} />;
  const Current = SCREENS[screen];
  return (
    <div className="app">
      <a className="skip-link" href="#main-content" data-testid="skip-link" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <TopBar />
      <SideNav />
      <main className="content" id="main-content" tabIndex={-1} ref={main}>
        {conn === 'reconnecting' && (
          <div className="stale" role="status" data-testid="connection-lost">
            Lost the connection to the Ferry service; reconnecting. Progress and the custody log may be out of date until it returns.
          </div>
        )}
        <Current />
      </main>
    </div>
  );
}
