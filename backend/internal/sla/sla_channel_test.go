package sla_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/conversation"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestSLAPerChannel: a policy may name channels, and then applies only to
// conversations of those channels (and of its priorities, when it names
// some too): email answered within a day, chat within minutes. The
// channels are kept, listed and changed through the API, and checked.
func TestSLAPerChannel(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts, rpctest.Quiet)
		w := rpctest.WorldOn(t, srv)
		c := srv.Clients(rpcclient.Connect).SLA
		admin := w.As("admin")
		create := func(in *tandemv1.SlaPolicyInput) *tandemv1.SlaPolicy {
			t.Helper()
			in.WarningPercent = 80
			resp, err := c.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: in})
			if err != nil {
				t.Fatal(err)
			}
			return resp.GetPolicy()
		}
		chat := create(&tandemv1.SlaPolicyInput{Name: "Chat", Priorities: []tandemv1.Priority{tandemv1.Priority_PRIORITY_NONE},
			Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_WEB}, FirstResponseSeconds: 300})
		mail := create(&tandemv1.SlaPolicyInput{Name: "Email", Position: 1, Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_EMAIL},
			FirstResponseSeconds: 86400})
		if got := mail.GetChannels(); len(got) != 1 || got[0] != tandemv1.Channel_CHANNEL_EMAIL {
			t.Fatalf("created policy's channels = %v, want [EMAIL]", got)
		}

		emailConv := func() conversation.Conversation {
			t.Helper()
			conv, _, err := srv.Domain().Conversations.StartEmail(w.Ctx, w.Visitor, uuid.NewString(), "Order 1234", "Where is my parcel?", "", false)
			if err != nil {
				t.Fatal(err)
			}
			return conv
		}
		webChat, mailed := w.Conversation(w.Other), emailConv()
		if err := srv.SLAReactor().Drain(w.Ctx, w.W1.ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			conv   conversation.Conversation
			policy *tandemv1.SlaPolicy
			within int64
		}{
			{"web chat", webChat, chat, 300},
			{"email", mailed, mail, 86400}, // not "Chat", whose priority it has: both lists must match
		} {
			s := w.SLA(tc.conv.ID)
			if s.GetPolicyId() != tc.policy.GetId() {
				t.Errorf("%s: policy %q, want %q", tc.name, s.GetPolicyId(), tc.policy.GetName())
				continue
			}
			if due := s.GetFirstResponseDueMs() - tc.conv.CreatedAt; due < tc.within*1000-5000 || due > tc.within*1000+5000 {
				t.Errorf("%s: first response due %d ms after it started, want about %d s", tc.name, due, tc.within)
			}
		}

		// A channel list is changed, and one that names nothing or a
		// channel twice is refused.
		upd, err := c.UpdateSlaPolicy(admin, &tandemv1.UpdateSlaPolicyRequest{PolicyId: chat.GetId(), Policy: &tandemv1.SlaPolicyInput{
			Name: "Chat and API", Position: 2, FirstResponseSeconds: 300, WarningPercent: 80,
			Channels: []tandemv1.Channel{tandemv1.Channel_CHANNEL_WEB, tandemv1.Channel_CHANNEL_API}}})
		if err != nil || len(upd.GetPolicy().GetChannels()) != 2 {
			t.Fatalf("update channels: %v, %v", upd, err)
		}
		list, err := c.ListSlaPolicies(w.As("agent"), &tandemv1.ListSlaPoliciesRequest{WorkspaceId: w.W1.ID})
		if err != nil || len(list.GetPolicies()) != 2 || len(list.GetPolicies()[1].GetChannels()) != 2 {
			t.Fatalf("listed policies: %v, %v", list, err)
		}
		for name, chs := range map[string][]tandemv1.Channel{
			"unspecified": {tandemv1.Channel_CHANNEL_UNSPECIFIED},
			"twice":       {tandemv1.Channel_CHANNEL_WEB, tandemv1.Channel_CHANNEL_WEB},
			"undefined":   {tandemv1.Channel(99)},
		} {
			_, err := c.CreateSlaPolicy(admin, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: w.W1.ID, Policy: &tandemv1.SlaPolicyInput{
				Name: "bad " + name, FirstResponseSeconds: 60, WarningPercent: 80, Channels: chs}})
			if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "policy.channels") {
				t.Errorf("channels %s: %v, want InvalidArgument naming policy.channels", name, err)
			}
		}
	})
}
