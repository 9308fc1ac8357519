-- +goose Up
-- A whisper (issue 15) is an internal note for its author, the member it is
-- addressed to (the conversation's owner when it was written) and
-- supervisors and up: its message row and its note.created event carry the
-- visibility 'whisper', and the row names the addressee, so that history
-- and search can leave it out for everyone else. Whispers written before
-- named the addressee only in their activity data ({"whisper_to":"<id>"}).
ALTER TABLE messages ADD COLUMN whisper_to VARCHAR(36) NOT NULL DEFAULT '';
UPDATE messages SET visibility = 'whisper',
  whisper_to = SUBSTR(activity_data, INSTR(activity_data, '"whisper_to":"') + 14, 36)
  WHERE kind = 'note' AND activity_data LIKE '%"whisper_to":"%';
UPDATE events SET visibility = 'whisper'
  WHERE type = 'note.created' AND payload LIKE '%"activity_data":{%"whisper_to":"%';

-- +goose Down
UPDATE events SET visibility = 'agents' WHERE type = 'note.created' AND visibility = 'whisper';
UPDATE messages SET visibility = 'agents' WHERE visibility = 'whisper';
ALTER TABLE messages DROP COLUMN whisper_to;
