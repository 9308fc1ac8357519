-- +goose Up
-- Rate limits shared by every process on the database (issue 21,
-- RATE-01/02): one row per bucket, named by its rule and a hash of its key
-- (a client address, a visitor session, an account), so no address or
-- email is stored here. A token bucket keeps its theoretical arrival time
-- in tat (UTC µs); a backoff its next allowed attempt in tat, with attempts
-- and seen. Rows past expires_at (µs) hold nothing a fresh row would not
-- and are swept.
CREATE TABLE rate_limits (
  bucket TEXT NOT NULL PRIMARY KEY,
  tat INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits (expires_at);

-- +goose Down
DROP TABLE rate_limits;
