package tag_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestTags defines tags, puts them on conversations, filters and counts by
// them, and checks who applied each is in the history.
func TestTags(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		w := rpctest.NewWorld(t, opts)
		c := w.Srv.Clients(rpcclient.GRPC)
		sup, agent := w.As("supervisor"), w.As("agent")
		mk := func(name string) string {
			resp, err := c.Tag.CreateTag(sup, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: name, Color: "#e11d48", Description: name + " questions"})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetTag().GetId()
		}
		refund, vip := mk("refund"), mk("vip")
		_, err := c.Tag.CreateTag(sup, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: " refund "})
		rpctest.WantCode(t, err, connect.CodeAlreadyExists)
		_, err = c.Tag.CreateTag(agent, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: "agents cannot"})
		rpctest.WantCode(t, err, connect.CodePermissionDenied)
		_, err = c.Tag.CreateTag(sup, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: "bad color", Color: "red"})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		// A name that would reverse the text after it in every timeline, or break a line.
		for _, name := range []string{"vip\u202egnp.exe", "two\nlines", "\u2067isolate"} {
			_, err = c.Tag.CreateTag(sup, &tandemv1.CreateTagRequest{WorkspaceId: w.W1.ID, Name: name})
			rpctest.WantCode(t, err, connect.CodeInvalidArgument)
		}

		one, two, three := w.Conversation(w.Visitor), w.Conversation(w.Visitor), w.Conversation(w.Other)
		before := time.Now().UnixMilli()
		for _, step := range []struct{ conv, tag string }{{one.ID, refund}, {two.ID, refund}, {two.ID, vip}, {two.ID, vip}} {
			if _, err := c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: step.conv, TagId: step.tag}); err != nil {
				t.Fatal(err)
			}
		}
		if n := storetest.Count(t, w.Srv.DB(), "events", "conversation_id = ? AND type = ?", two.ID, events.ConversationTagged); n != 2 {
			t.Fatalf("%d tagged events for two tags (one applied twice)", n)
		}
		// A tag of another workspace cannot be put on a conversation here.
		_, err = c.Conversation.TagConversation(agent, &tandemv1.TagConversationRequest{ConversationId: three.ID, TagId: w.Tag(w.W2)})
		rpctest.WantCode(t, err, connect.CodeInvalidArgument)

		list := func(tags ...string) map[string][]string {
			resp, err := c.Conversation.ListConversations(agent, &tandemv1.ListConversationsRequest{WorkspaceId: w.W1.ID,
				Filter: &tandemv1.ConversationFilter{TagIds: tags}})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]string{}
			for _, cv := range resp.GetConversations() {
				out[cv.GetId()] = cv.GetTagIds()
			}
			return out
		}
		if got := list(refund); len(got) != 2 || got[one.ID] == nil || len(got[two.ID]) != 2 {
			t.Fatalf("filtered by refund: %v", got)
		}
		if got := list(vip, refund); len(got) != 2 {
			t.Fatalf("filtered by vip or refund: %v", got)
		}
		if got := list(); len(got) != 3 || len(got[three.ID]) != 0 {
			t.Fatalf("unfiltered: %v", got)
		}

		counts, err := c.Tag.CountTags(agent, &tandemv1.CountTagsRequest{WorkspaceId: w.W1.ID, FromTimeMs: before})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, tc := range counts.GetCounts() {
			got[tc.GetTag().GetName()] = tc.GetConversations()
		}
		if got["refund"] != 2 || got["vip"] != 1 || len(got) != 2 {
			t.Fatalf("counts = %v", got)
		}
		if counts.GetCounts()[0].GetTag().GetName() != "refund" {
			t.Errorf("most used first: %v", counts.GetCounts())
		}
		later, err := c.Tag.CountTags(agent, &tandemv1.CountTagsRequest{WorkspaceId: w.W1.ID, FromTimeMs: time.Now().Add(time.Hour).UnixMilli()})
		if err != nil || later.GetCounts()[0].GetConversations() != 0 {
			t.Fatalf("counts in a later period: %v %v", later, err)
		}

		hist, err := c.Conversation.GetConversation(agent, &tandemv1.GetConversationRequest{ConversationId: one.ID})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range hist.GetHistory() {
			if m.GetActivity() == "tagged" {
				found = m.GetAuthorId() == w.Users["agent"].ID && m.GetActivityData()["tag_name"] == "refund"
			}
		}
		if !found {
			t.Fatalf("history does not say the agent tagged it: %v", hist.GetHistory())
		}

		if _, err := c.Conversation.UntagConversation(agent, &tandemv1.UntagConversationRequest{ConversationId: two.ID, TagId: vip}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Tag.DeleteTag(sup, &tandemv1.DeleteTagRequest{TagId: refund}); err != nil {
			t.Fatal(err)
		}
		if got := list(); len(got[one.ID]) != 0 || len(got[two.ID]) != 0 {
			t.Fatalf("after untag and delete: %v", got)
		}
	})
}
