-- +goose Up
-- Answer quality (issue 16): a document's detected language picks the
-- analyzer its passages are indexed with; a passage that addresses the AI
-- agent or tries to instruct it is flagged with the reason and never used;
-- a workspace extends the default synonyms with its own groups, one group
-- per line ("refund, money back").
ALTER TABLE knowledge_documents ADD COLUMN language VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE knowledge_chunks ADD COLUMN flag_reason VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE bot_settings ADD COLUMN synonyms TEXT NOT NULL DEFAULT ('');

-- +goose Down
ALTER TABLE bot_settings DROP COLUMN synonyms;
ALTER TABLE knowledge_chunks DROP COLUMN flag_reason;
ALTER TABLE knowledge_documents DROP COLUMN language;
