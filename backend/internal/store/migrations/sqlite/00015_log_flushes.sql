-- +goose Up
-- One row that readers of the event log update to make the commits they have
-- read durable before they pass them on (events.flusher). SQLite needs no
-- such write (it syncs a commit before it shows it); the table keeps the two
-- schemas alike.
CREATE TABLE log_flushes (
  id INTEGER NOT NULL PRIMARY KEY,
  n  INTEGER NOT NULL
);
INSERT INTO log_flushes (id, n) VALUES (1, 0);

-- +goose Down
DROP TABLE log_flushes;
