-- +goose Up
CREATE TABLE users (
  id            CHAR(36)     NOT NULL PRIMARY KEY,
  email         VARCHAR(254) NOT NULL,
  display_name  VARCHAR(100) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  created_at    BIGINT       NOT NULL,
  updated_at    BIGINT       NOT NULL,
  disabled_at   BIGINT       NOT NULL DEFAULT 0,
  UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
  id           CHAR(36)    NOT NULL PRIMARY KEY,
  user_id      CHAR(36)    NOT NULL,
  token_hash   BINARY(32)  NOT NULL,
  created_at   BIGINT      NOT NULL,
  expires_at   BIGINT      NOT NULL,
  revoked_at   BIGINT      NOT NULL DEFAULT 0,
  UNIQUE KEY sessions_token_hash (token_hash),
  KEY sessions_user (user_id),
  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE workspaces (
  id            CHAR(36)     NOT NULL PRIMARY KEY,
  name          VARCHAR(100) NOT NULL,
  public_key    VARCHAR(64)  NOT NULL,
  widget_secret VARCHAR(64)  NOT NULL,
  last_seq      BIGINT       NOT NULL DEFAULT 0,
  created_at    BIGINT       NOT NULL,
  updated_at    BIGINT       NOT NULL,
  UNIQUE KEY workspaces_public_key (public_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE members (
  workspace_id CHAR(36)    NOT NULL,
  user_id      CHAR(36)    NOT NULL,
  role         VARCHAR(16) NOT NULL,
  created_at   BIGINT      NOT NULL,
  PRIMARY KEY (workspace_id, user_id),
  KEY members_user (user_id),
  CONSTRAINT members_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE,
  CONSTRAINT members_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE api_keys (
  id           CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)     NOT NULL,
  name         VARCHAR(100) NOT NULL,
  role         VARCHAR(16)  NOT NULL,
  prefix       VARCHAR(16)  NOT NULL,
  secret_hash  BINARY(32)   NOT NULL,
  created_by   CHAR(36)     NOT NULL,
  created_at   BIGINT       NOT NULL,
  expires_at   BIGINT       NOT NULL DEFAULT 0,
  revoked_at   BIGINT       NOT NULL DEFAULT 0,
  last_used_at BIGINT       NOT NULL DEFAULT 0,
  UNIQUE KEY api_keys_secret_hash (secret_hash),
  KEY api_keys_workspace (workspace_id, created_at),
  CONSTRAINT api_keys_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE invites (
  id           CHAR(36)     NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)     NOT NULL,
  email        VARCHAR(254) NOT NULL,
  role         VARCHAR(16)  NOT NULL,
  token_hash   BINARY(32)   NOT NULL,
  invited_by   CHAR(36)     NOT NULL,
  created_at   BIGINT       NOT NULL,
  expires_at   BIGINT       NOT NULL,
  accepted_at  BIGINT       NOT NULL DEFAULT 0,
  accepted_by  CHAR(36)     NOT NULL DEFAULT '',
  UNIQUE KEY invites_token_hash (token_hash),
  KEY invites_workspace (workspace_id),
  CONSTRAINT invites_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE agent_groups (
  id           CHAR(36)      NOT NULL PRIMARY KEY,
  workspace_id CHAR(36)      NOT NULL,
  name         VARCHAR(100)  NOT NULL,
  description  VARCHAR(1000) NOT NULL,
  created_at   BIGINT        NOT NULL,
  updated_at   BIGINT        NOT NULL,
  UNIQUE KEY agent_groups_name (workspace_id, name),
  CONSTRAINT agent_groups_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE group_members (
  group_id     CHAR(36) NOT NULL,
  user_id      CHAR(36) NOT NULL,
  workspace_id CHAR(36) NOT NULL,
  created_at   BIGINT   NOT NULL,
  PRIMARY KEY (group_id, user_id),
  KEY group_members_user (workspace_id, user_id),
  CONSTRAINT group_members_group_fk FOREIGN KEY (group_id) REFERENCES agent_groups (id) ON DELETE CASCADE,
  CONSTRAINT group_members_member_fk FOREIGN KEY (workspace_id, user_id) REFERENCES members (workspace_id, user_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The event log: one row per state change, written in the change's own
-- transaction. seq is allocated from workspaces.last_seq under that row's lock,
-- so commit order equals seq order within a workspace.
CREATE TABLE events (
  workspace_id    CHAR(36)    NOT NULL,
  seq             BIGINT      NOT NULL,
  id              CHAR(36)    NOT NULL,
  type            VARCHAR(64) NOT NULL,
  conversation_id CHAR(36)    NOT NULL DEFAULT '',
  actor_kind      VARCHAR(16) NOT NULL,
  actor_id        VARCHAR(64) NOT NULL,
  visibility      VARCHAR(16) NOT NULL,
  payload         MEDIUMBLOB  NOT NULL,
  created_at      BIGINT      NOT NULL,
  PRIMARY KEY (workspace_id, seq),
  UNIQUE KEY events_id (id),
  KEY events_created (created_at),
  CONSTRAINT events_workspace_fk FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE events;
DROP TABLE group_members;
DROP TABLE agent_groups;
DROP TABLE invites;
DROP TABLE api_keys;
DROP TABLE members;
DROP TABLE workspaces;
DROP TABLE sessions;
DROP TABLE users;
