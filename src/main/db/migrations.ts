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
];
