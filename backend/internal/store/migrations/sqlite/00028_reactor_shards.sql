-- +goose Up
-- Reactors lease shards, not workspaces (issue 17): a workspace belongs to
-- one of a fixed number of shards (a hash of its id), and the replicas
-- running reactors divide the shards among themselves. A replica holds a
-- shard while its lease lasts and renews all of its shards in one
-- statement; another takes it over once the lease has run out.
CREATE TABLE reactor_shards (
  name TEXT NOT NULL,
  shard INTEGER NOT NULL,
  owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  PRIMARY KEY (name, shard)
);

-- The replicas that take part, each seen until its lease runs out: how
-- many there are says how many shards each should hold.
CREATE TABLE reactor_replicas (
  name TEXT NOT NULL,
  replica TEXT NOT NULL,
  seen_until INTEGER NOT NULL,
  PRIMARY KEY (name, replica)
);

-- +goose Down
DROP TABLE reactor_replicas;
DROP TABLE reactor_shards;
