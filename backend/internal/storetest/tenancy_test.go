package storetest_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestCheckTenancy shows that the tenancy invariant sees a row of one
// workspace referring to a row of another, through a declared foreign key
// (a knowledge chunk of another workspace's document) and through a
// reference known only by its column's name (an email inbox routing to
// another workspace's group), and that it names the table, the column and
// the count.
func TestCheckTenancy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w1, w2 := storetest.AddWorkspace(t, db, 0), storetest.AddWorkspace(t, db, 0)
		doc, group := uuid.NewString(), uuid.NewString()
		storetest.MustExec(t, db, `INSERT INTO knowledge_documents (id, workspace_id, title, filename, format, size_bytes,
			content_sha256, upload_sha256, chunk_count, created_by, created_at, updated_at)
			VALUES (?, ?, 't', 't.md', 'markdown', 1, 'x', 'x', 1, 'u', 0, 0)`, doc, w1)
		storetest.MustExec(t, db, `INSERT INTO agent_groups (id, workspace_id, name, description, created_at, updated_at)
			VALUES (?, ?, 'g', '', 0, 0)`, group, w1)
		storetest.MustExec(t, db, `INSERT INTO knowledge_chunks (document_id, position, workspace_id, heading, text) VALUES (?, 0, ?, '', 'a')`, doc, w1)
		inbox := func(ws string) {
			storetest.MustExec(t, db, `INSERT INTO email_inboxes (id, workspace_id, name, support_address, receiving_token, smtp_host,
				smtp_port, smtp_tls_mode, smtp_username, smtp_password, signature, group_id, created_at, updated_at)
				VALUES (?, ?, 'i', ?, ?, '', 0, '', '', '', '', ?, 0, 0)`, uuid.NewString(), ws, uuid.NewString()+"@x.test", uuid.NewString(), group)
		}
		inbox(w1)
		if ms, err := storetest.TenancyMismatches(t.Context(), db); err != nil || len(ms) != 0 {
			t.Fatalf("consistent rows: %v, %v", ms, err)
		}

		storetest.MustExec(t, db, `INSERT INTO knowledge_chunks (document_id, position, workspace_id, heading, text) VALUES (?, 1, ?, '', 'b')`, doc, w2)
		inbox(w2)
		inbox(w2)
		ms, err := storetest.TenancyMismatches(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, m := range ms {
			got[m.String()] = m.Rows
		}
		want := map[string]int{
			"knowledge_chunks.document_id -> knowledge_documents.id": 1,
			"email_inboxes.group_id -> agent_groups.id":              2,
		}
		if len(got) != len(want) {
			t.Errorf("mismatches = %v, want %v", got, want)
		}
		for path, n := range want {
			found := false
			for s, rows := range got {
				if strings.HasPrefix(s, path+":") {
					found = true
					if rows != n {
						t.Errorf("%s: %d rows, want %d", path, rows, n)
					}
				}
			}
			if !found {
				t.Errorf("no mismatch reported for %s; got %v", path, got)
			}
		}
	})
}
