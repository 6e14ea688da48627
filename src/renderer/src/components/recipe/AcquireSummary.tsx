import { formatBytes } from '../../../../shared/format';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * What a finished bundle:create fetched and what it did not have to: bytes from the network,
 * from local sources (HF cache, Ollama folder, archives), kept from an earlier interrupted run,
 * and whether this run resumed one. Reads main's CreateResult fields when the result has them.
 */
export function AcquireSummary({ result }: { result: Record<string, unknown> }) {
  const fetched = num(result.fetchedBytes);
  const local = num(result.localBytes);
  const reused = num(result.reusedBytes);
  const continued = num(result.resumedFiles);
  const resumed = result.resumed === true;
  if (fetched === null && reused === null && !resumed) return null;
  return (
    <>
      <dt>Acquired</dt>
      <dd data-testid="create-acquired" data-resumed={resumed ? 'true' : 'false'}>
        {resumed && (
          <span className="badge badge-info" data-testid="create-resumed">
            resumed
          </span>
        )}{' '}
        fetched {formatBytes(fetched ?? 0)}
        {local ? ` · from local sources ${formatBytes(local)}` : ''}
        {` · from cache (kept from an earlier run) ${formatBytes(reused ?? 0)}`}
        {continued ? ` · ${continued} partial download${continued === 1 ? '' : 's'} continued` : ''}
      </dd>
    </>
  );
}
