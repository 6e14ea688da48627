// Versioned schema migrations. Append new entries; never edit a released one.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'custody events and jobs',
    sql: `
      CREATE TABLE custody_events (
        seq        INTEGER PRIMARY KEY,
        event_id   TEXT NOT NULL UNIQUE,
        bundle_id  TEXT,
        type       TEXT NOT NULL,
        actor      TEXT NOT NULL,
        role       TEXT NOT NULL,
        station    TEXT NOT NULL,
        at         TEXT NOT NULL,
        details    TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        signature  TEXT
      );
      CREATE INDEX custody_events_bundle ON custody_events(bundle_id);
      CREATE TRIGGER custody_events_no_update BEFORE UPDATE ON custody_events
        BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
      CREATE TRIGGER custody_events_no_delete BEFORE DELETE ON custody_events
        BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;

      CREATE TABLE jobs (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        title       TEXT NOT NULL,
        state       TEXT NOT NULL,
        phase       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        finished_at TEXT,
        params      TEXT NOT NULL,
        bytes_done  INTEGER NOT NULL DEFAULT 0,
        bytes_total INTEGER NOT NULL DEFAULT 0,
        result      TEXT,
        error       TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'identities, station settings, trusted keys, signed and imported custody',
    sql: `
      ALTER TABLE custody_events ADD COLUMN signer TEXT;
      ALTER TABLE custody_events ADD COLUMN location TEXT;

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE identities (
        name        TEXT PRIMARY KEY,
        role        TEXT NOT NULL CHECK (role IN ('operator', 'reviewer', 'admin', 'auditor')),
        public_key  TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        envelope    TEXT NOT NULL,
        created_at  TEXT NOT NULL
      );

      CREATE TABLE trusted_keys (
        fingerprint   TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,
        public_key    TEXT NOT NULL,
        pinned_at     TEXT NOT NULL,
        pinned_by     TEXT NOT NULL,
        revoked_at    TEXT,
        revoke_reason TEXT
      );
      CREATE TRIGGER trusted_keys_no_delete BEFORE DELETE ON trusted_keys
        BEGIN SELECT RAISE(ABORT, 'trusted keys are revoked, never deleted'); END;

      CREATE TABLE custody_keys (
        fingerprint TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        role        TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        source      TEXT NOT NULL
      );

      CREATE TABLE custody_imported (
        origin_station TEXT NOT NULL,
        seq            INTEGER NOT NULL,
        event_id       TEXT NOT NULL,
        bundle_id      TEXT,
        type           TEXT NOT NULL,
        actor          TEXT NOT NULL,
        role           TEXT NOT NULL,
        station        TEXT NOT NULL,
        location       TEXT,
        at             TEXT NOT NULL,
        details        TEXT NOT NULL,
        prev_hash      TEXT NOT NULL,
        hash           TEXT NOT NULL,
        signer         TEXT,
        signature      TEXT,
        position       INTEGER NOT NULL,
        imported_at    TEXT NOT NULL,
        PRIMARY KEY (origin_station, event_id)
      );
      CREATE INDEX custody_imported_bundle ON custody_imported(bundle_id, origin_station, position);
      CREATE TRIGGER custody_imported_no_update BEFORE UPDATE ON custody_imported
        BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
      CREATE TRIGGER custody_imported_no_delete BEFORE DELETE ON custody_imported
        BEGIN SELECT RAISE(ABORT, 'custody events are append-only'); END;
    `,
  },
  {
    version: 3,
    name: 'recipe locks and resumable acquisitions',
    sql: `
      CREATE TABLE recipe_locks (
        id         TEXT PRIMARY KEY,
        recipe_id  TEXT NOT NULL,
        created_at TEXT NOT NULL,
        lock       TEXT NOT NULL
      );
      CREATE TABLE acquisitions (
        out_dir    TEXT PRIMARY KEY,
        args_key   TEXT NOT NULL,
        lock_id    TEXT NOT NULL REFERENCES recipe_locks(id),
        bundle_id  TEXT NOT NULL,
        state      TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE acquired_files (
        out_dir TEXT NOT NULL REFERENCES acquisitions(out_dir) ON DELETE CASCADE,
        path    TEXT NOT NULL,
        size    INTEGER NOT NULL,
        sha256  TEXT NOT NULL,
        PRIMARY KEY (out_dir, path)
      );
    `,
  },
  {
    version: 4,
    name: 'guided installs and stored registry credentials',
    sql: `
      CREATE TABLE installs (
        id         TEXT PRIMARY KEY,
        bundle_id  TEXT NOT NULL,
        recipe_id  TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        request    TEXT NOT NULL,
        plan       TEXT NOT NULL
      );
      CREATE TABLE install_steps (
        install_id  TEXT NOT NULL REFERENCES installs(id) ON DELETE CASCADE,
        step_id     TEXT NOT NULL,
        position    INTEGER NOT NULL,
        state       TEXT NOT NULL,
        started_at  TEXT,
        finished_at TEXT,
        result      TEXT,
        error       TEXT,
        log_tail    TEXT,
        PRIMARY KEY (install_id, step_id)
      );
      CREATE TABLE credentials (
        registry   TEXT PRIMARY KEY,
        username   TEXT NOT NULL,
        secret     BLOB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'the process that runs a job',
    // Another Ferry process on the same data directory must not mark a job it does not run as interrupted.
    sql: `
      ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
      ALTER TABLE jobs ADD COLUMN owner_host TEXT;
    `,
  },
];
