/** Shown in headless mode when the page has no (valid) access token. */
export function NoToken({ rejected }: { rejected?: boolean }) {
  return (
    <div className="gate" data-testid="no-token">
      <div className="gate-card">
        <div className="brand brand-large">Ferry</div>
        <h1>{rejected ? 'The access token was rejected' : 'Access token needed'}</h1>
        <p>
          Open the URL that <code>ferry serve</code> printed (it carries the access token).
        </p>
        <p className="muted">
          {rejected
            ? 'Each run of ferry serve issues a new token; a URL from an earlier run no longer works.'
            : 'The token is part of the address, after #token=. Ferry keeps it for this tab only.'}
        </p>
      </div>
    </div>
  );
}
