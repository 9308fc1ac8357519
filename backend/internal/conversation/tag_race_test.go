package conversation_test

import (
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestTagDeletedWhileTagging: a tag deleted while an agent puts it on a
// conversation either goes on first (and the deletion takes it off) or is
// refused as no tag of the workspace (InvalidArgument naming tag_id), never
// Internal (the insert's foreign key failing), and the conversation ends
// without it.
func TestTagDeletedWhileTagging(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := newWorld(t, opts)
		c := w.Srv.Clients(rpcclient.Connect)
		agent, supervisor := w.As("agent"), w.As("supervisor")
		conv := w.Conversation(w.Visitor)
		for round := range 12 {
			tag, err := c.Tag.CreateTag(supervisor, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: rpctest.Unique("doomed ")})
			if err != nil {
				t.Fatal(err)
			}
			id := tag.GetTag().GetId()
			var wg sync.WaitGroup
			start := make(chan struct{})
			var tagErr, delErr error
			wg.Go(func() {
				<-start
				_, tagErr = c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: conv.ID, TagId: id})
			})
			wg.Go(func() {
				<-start
				_, delErr = c.Tag.DeleteTag(supervisor, &tandemv1.DeleteTagRequest{TagId: id})
			})
			close(start)
			wg.Wait()
			if delErr != nil {
				t.Fatalf("round %d: delete: %v", round, delErr)
			}
			if tagErr != nil && (connect.CodeOf(tagErr) != connect.CodeInvalidArgument || !strings.Contains(tagErr.Error(), "tag_id")) {
				t.Fatalf("round %d: tagging while the tag is deleted: %v, want OK or InvalidArgument on tag_id", round, tagErr)
			}
			got, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: conv.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, left := range got.GetConversation().GetTagIds() {
				if left == id {
					t.Fatalf("round %d: the deleted tag is still on the conversation", round)
				}
			}
		}
	})
}
