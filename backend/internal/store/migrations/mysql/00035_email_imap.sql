-- +goose Up
-- An email inbox may fetch its mail from an IMAP mailbox (issue 19): the
-- server and sign-in (the password write-only), and the state of the
-- watch: the mailbox's UIDVALIDITY and the last UID taken (each mail is
-- fetched once), the lease of the replica watching it, and the last check
-- and error shown to admins.
ALTER TABLE email_inboxes ADD COLUMN imap_host VARCHAR(253) NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_port INT NOT NULL DEFAULT 0;
ALTER TABLE email_inboxes ADD COLUMN imap_tls_mode VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_username VARCHAR(256) NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_password VARCHAR(256) NOT NULL DEFAULT '';
ALTER TABLE email_inboxes ADD COLUMN imap_mailbox VARCHAR(200) NOT NULL DEFAULT '';
CREATE TABLE email_imap_state (
  inbox_id     CHAR(36)     NOT NULL PRIMARY KEY,
  uid_validity BIGINT       NOT NULL,
  last_uid     BIGINT       NOT NULL,
  lease_owner  VARCHAR(64)  NOT NULL,
  lease_until  BIGINT       NOT NULL,
  checked_at   BIGINT       NOT NULL,
  last_error   VARCHAR(500) NOT NULL,
  CONSTRAINT email_imap_state_inbox_fk FOREIGN KEY (inbox_id) REFERENCES email_inboxes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE email_imap_state;
ALTER TABLE email_inboxes DROP COLUMN imap_mailbox;
ALTER TABLE email_inboxes DROP COLUMN imap_password;
ALTER TABLE email_inboxes DROP COLUMN imap_username;
ALTER TABLE email_inboxes DROP COLUMN imap_tls_mode;
ALTER TABLE email_inboxes DROP COLUMN imap_port;
ALTER TABLE email_inboxes DROP COLUMN imap_host;
