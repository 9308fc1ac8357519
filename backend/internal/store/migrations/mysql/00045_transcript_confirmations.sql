-- +goose Up
-- Addresses a visitor asked to be emailed a transcript at, to be confirmed
-- before any chat text goes there (ISO-05). A row is made when the copy is
-- asked for; token_hash is the SHA-256 of the link's token, set when the
-- confirmation mail is sent (the token itself is never stored);
-- confirmed_at, once set, makes the address verified for the contact and
-- the token used.
CREATE TABLE transcript_confirmations (
  id              CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id    CHAR(36)     NOT NULL,
  conversation_id CHAR(36)     NOT NULL,
  contact_id      CHAR(36)     NOT NULL,
  email           VARCHAR(254) NOT NULL,
  token_hash      BINARY(32)   NULL,
  created_at      BIGINT       NOT NULL,
  expires_at      BIGINT       NOT NULL,
  confirmed_at    BIGINT       NOT NULL DEFAULT 0,
  UNIQUE KEY transcript_confirmations_token_hash (token_hash),
  KEY transcript_confirmations_contact (contact_id, email),
  CONSTRAINT transcript_confirmations_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
  CONSTRAINT transcript_confirmations_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE transcript_confirmations;
