-- +goose Up
-- Reactors lease shards, not workspaces (issue 17): a workspace belongs to
-- one of a fixed number of shards (a hash of its id), and the replicas
-- running reactors divide the shards among themselves. A replica holds a
-- shard while its lease lasts and renews all of its shards in one
-- statement; another takes it over once the lease has run out.
CREATE TABLE reactor_shards (
  name        VARCHAR(32) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  shard       INT         NOT NULL,
  owner       VARCHAR(36) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  lease_until BIGINT      NOT NULL,
  PRIMARY KEY (name, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The replicas that take part, each seen until its lease runs out: how
-- many there are says how many shards each should hold. Names and
-- replica ids compare exactly (NO PAD, as in 00017).
CREATE TABLE reactor_replicas (
  name       VARCHAR(32) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  replica    VARCHAR(36) CHARACTER SET utf8mb4 /*M! COLLATE utf8mb4_nopad_bin */ /*!80017 COLLATE utf8mb4_0900_bin */ NOT NULL,
  seen_until BIGINT      NOT NULL,
  PRIMARY KEY (name, replica)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE reactor_replicas;
DROP TABLE reactor_shards;
