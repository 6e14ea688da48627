import type { UpgradeResult } from '../../../../shared/upgrade-types';
import { NotesText } from './NotesText';

/** The new bundle's release notes and migration guide, as the bundle carries them. */
export function UpgradeNotes({ notes }: { notes: UpgradeResult['notes'] }) {
  if (!notes.releaseNotes && !notes.migrationGuide) return <p className="muted">The new bundle carries no release notes or migration guide.</p>;
  return (
    <div className="upgrade-notes">
      {notes.releaseNotes && (
        <section aria-labelledby="upgrade-notes-title">
          <h3 id="upgrade-notes-title">Release notes</h3>
          <NotesText text={notes.releaseNotes} testId="upgrade-release-notes" />
        </section>
      )}
      {notes.migrationGuide && (
        <section aria-labelledby="upgrade-guide-title">
          <h3 id="upgrade-guide-title">Migration guide</h3>
          <p className="muted small">Read before upgrading: steps it names that Ferry does not do are yours.</p>
          <NotesText text={notes.migrationGuide} testId="upgrade-migration-guide" />
        </section>
      )}
    </div>
  );
}
