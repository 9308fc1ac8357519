package conversation

import (
	"context"
	"fmt"
	"strings"
)

// maxThreadKeys caps the ids ThreadOf looks up (a mail's References are
// cut to their newest 50, with In-Reply-To and Tandem's own ids besides,
// and each client id counts twice).
const maxThreadKeys = 300

// ThreadOf returns the conversation of the workspace's newest message whose
// id is one of ids or whose client id is one of clientIDs (a conversation
// started with one counts by its first message): the thread an inbound
// mail's In-Reply-To and References point into. "" when none is.
func (s *Service) ThreadOf(ctx context.Context, workspaceID string, ids, clientIDs []string) (string, error) {
	for _, c := range clientIDs[:len(clientIDs):len(clientIDs)] {
		clientIDs = append(clientIDs, firstMessageID(c))
	}
	if len(ids) == 0 && len(clientIDs) == 0 {
		return "", nil
	}
	if len(ids)+len(clientIDs) > maxThreadKeys {
		return "", fmt.Errorf("thread of %d keys: over %d", len(ids)+len(clientIDs), maxThreadKeys)
	}
	var conds []string
	args := []any{workspaceID}
	for _, in := range []struct {
		col  string
		vals []string
	}{{"id", ids}, {"client_id", clientIDs}} {
		if len(in.vals) == 0 {
			continue
		}
		conds = append(conds, in.col+` IN (?`+strings.Repeat(`, ?`, len(in.vals)-1)+`)`)
		for _, v := range in.vals {
			args = append(args, v)
		}
	}
	var convs []string
	err := s.db.SelectContext(ctx, &convs, `SELECT conversation_id FROM messages WHERE workspace_id = ? AND (`+
		strings.Join(conds, ` OR `)+`) ORDER BY created_at DESC, seq DESC LIMIT 1`, args...)
	if err != nil {
		return "", fmt.Errorf("thread of mail: %w", err)
	}
	if len(convs) == 0 {
		return "", nil
	}
	return convs[0], nil
}
