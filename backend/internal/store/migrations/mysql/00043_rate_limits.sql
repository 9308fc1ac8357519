-- +goose Up
-- Rate limits shared by every replica (issue 21, RATE-01/02): one row per
-- bucket, named by its rule and a hash of its key (a client address, a
-- visitor session, an account), so no address or email is stored here.
-- A token bucket keeps its theoretical arrival time in tat (UTC µs); a
-- backoff its next allowed attempt in tat, with attempts and seen. Rows
-- past expires_at (µs) hold nothing a fresh row would not and are swept.
CREATE TABLE rate_limits (
  bucket     VARCHAR(100) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  tat        BIGINT NOT NULL,
  attempts   INT    NOT NULL,
  seen       BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (bucket),
  KEY rate_limits_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE rate_limits;
