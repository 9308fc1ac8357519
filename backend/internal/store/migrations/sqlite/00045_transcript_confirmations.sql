-- +goose Up
-- Addresses a visitor asked to be emailed a transcript at, to be confirmed
-- before any chat text goes there (ISO-05). A row is made when the copy is
-- asked for; token_hash is the SHA-256 of the link's token, set when the
-- confirmation mail is sent (the token itself is never stored);
-- confirmed_at, once set, makes the address verified for the contact and
-- the token used.
CREATE TABLE transcript_confirmations (
  id TEXT NOT NULL PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  email TEXT NOT NULL,
  token_hash BLOB NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  confirmed_at INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT transcript_confirmations_token_hash UNIQUE (token_hash),
  CONSTRAINT transcript_confirmations_conversation_fk FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
  CONSTRAINT transcript_confirmations_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE
);
CREATE INDEX transcript_confirmations_contact ON transcript_confirmations (contact_id, email);

-- +goose Down
DROP TABLE transcript_confirmations;
