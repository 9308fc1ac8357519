-- +goose Up
-- One row that readers of the event log update to make the commits they have
-- read durable before they pass them on (events.flusher): InnoDB shows a
-- commit to other transactions before it flushes its redo log.
CREATE TABLE log_flushes (
  id INT    NOT NULL PRIMARY KEY,
  n  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO log_flushes (id, n) VALUES (1, 0);

-- +goose Down
DROP TABLE log_flushes;
