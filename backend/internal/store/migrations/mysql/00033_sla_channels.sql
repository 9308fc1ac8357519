-- +goose Up
-- An SLA policy may apply to some channels only (issue 19: email answered
-- within a day, chat within minutes); empty matches every channel.
ALTER TABLE sla_policies ADD COLUMN channels VARCHAR(100) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sla_policies DROP COLUMN channels;
