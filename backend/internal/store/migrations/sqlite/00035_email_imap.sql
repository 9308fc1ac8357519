-- +goose Up
-- An email inbox may fetch its mail from an IMAP mailbox (issue 19): the
-- server and sign-in (the password write-only), and the state of the
-- watch: the mailbox's UIDVALIDITY and the last UID taken (each mail is
-- fetched once), the lease of the replica watching it, and the last check
-- and error shown to admins.
ALTER TABLE email_inboxes ADD COLUMN imap_host TEXT NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_port INTEGER NOT NULL DEFAULT 0;
ALTER TABLE email_inboxes ADD COLUMN imap_tls_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_username TEXT NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_password TEXT NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_mailbox TEXT NOT NULL DEFAULT '';
CREATE TABLE email_imap_state (
  inbox_id TEXT NOT NULL PRIMARY KEY,
  uid_validity INTEGER NOT NULL,
  last_uid INTEGER NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  checked_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  CONSTRAINT email_imap_state_inbox_fk FOREIGN KEY (inbox_id) REFERENCES email_inboxes (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE email_imap_state;
ALTER TABLE email_inboxes DROP COLUMN imap_mailbox;
ALTER TABLE email_inboxes DROP COLUMN imap_password;
ALTER TABLE email_inboxes DROP COLUMN imap_username;
ALTER TABLE email_inboxes DROP COLUMN imap_tls_mode;
ALTER TABLE email_inboxes DROP COLUMN imap_port;
ALTER TABLE email_inboxes DROP COLUMN imap_host;
