-- +goose Up
-- How far the customer has seen a conversation in the widget (issue 19):
-- the seq of the last item it showed them, so that replies they have not
-- seen can be emailed to them.
ALTER TABLE conversations ADD COLUMN visitor_seen_seq INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE conversations DROP COLUMN visitor_seen_seq;
