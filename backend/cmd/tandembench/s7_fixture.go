package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
)

// s7Document is the knowledge the AI agent answers from in S7: a small
// shop's help page, one section per question in s7Questions.
const s7Document = `# Harbor Lane Outfitters help

## Returns
You can return an item within 30 days of delivery for a full refund. Returns are free with the prepaid label in your parcel.

## Refund time
A refund reaches your card 5 to 7 business days after the returned item arrives at our warehouse.

## Standard shipping
Standard shipping takes 3 to 5 business days and is free on orders over 50 dollars.

## Express shipping
Express shipping costs 12 dollars and delivers the next business day when you order before noon.

## Warranty
Every jacket and backpack has a two year warranty against defects in materials and stitching.

## Gift cards
Gift cards never expire and can be used online and in our stores.

## Order tracking
Track your order with the link in your shipping confirmation email; the tracking number appears once the parcel leaves the warehouse.

## Payment methods
We accept Visa, Mastercard, American Express, PayPal and gift cards.
`

// s7Questions are customers' questions the document answers.
var s7Questions = []string{ //nolint:gochecknoglobals // read-only table
	"How many days do I have to return an item?",
	"How long does a refund take to reach my card?",
	"How long does standard shipping take?",
	"How much does express shipping cost?",
	"How long is the warranty on a jacket?",
	"Do gift cards expire?",
	"How do I track my order?",
	"Which payment methods do you accept?",
}

// s7RuleNote is the note the S7 automation rule adds for every customer
// message: the rule's visible action.
const s7RuleNote = "S7 rule: a customer wrote"

// aiWorkspace is a workspace with the AI agent on, its document uploaded,
// and (when asked) the rule; visitor is a widget session that opens the
// probes' conversations.
type aiWorkspace struct {
	id, publicKey string
	visitor       string // widget session token
}

// newAIWorkspace makes an AI workspace through the server at url, as the
// owner. title is the document's title (the fake model stalls on some).
func newAIWorkspace(ctx context.Context, url, token, name, title string, rule bool) (*aiWorkspace, error) {
	c := rpcclient.New(url, rpcclient.Connect)
	octx := rpcclient.WithToken(ctx, token)
	created, err := c.Workspace.CreateWorkspace(octx, &tandemv1.CreateWorkspaceRequest{Name: name})
	if err != nil {
		return nil, fmt.Errorf("create workspace: %w", err)
	}
	w := &aiWorkspace{id: created.GetWorkspace().GetId(), publicKey: created.GetWorkspace().GetPublicKey()}
	if _, err := c.Knowledge.UploadDocument(octx, &tandemv1.UploadDocumentRequest{WorkspaceId: w.id, Title: title,
		Filename: "help.md", Content: []byte(s7Document), ClientId: uuid.NewString()}); err != nil {
		return nil, fmt.Errorf("upload the document: %w", err)
	}
	if _, err := c.Bot.UpdateBotSettings(octx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: w.id, Enabled: proto.Bool(true)}); err != nil {
		return nil, fmt.Errorf("turn the AI agent on: %w", err)
	}
	if rule {
		if _, err := c.Automation.CreateRule(octx, &tandemv1.CreateRuleRequest{WorkspaceId: w.id, Rule: &tandemv1.RuleSpec{
			Name: "S7 note", Enabled: true, Trigger: tandemv1.RuleTrigger_RULE_TRIGGER_CUSTOMER_MESSAGE,
			Actions: []*tandemv1.Action{{Kind: &tandemv1.Action_AddNote{AddNote: s7RuleNote}}},
		}}); err != nil {
			return nil, fmt.Errorf("create the rule: %w", err)
		}
	}
	s, err := c.Widget.StartSession(ctx, &tandemv1.StartSessionRequest{PublicKey: w.publicKey, Name: "S7 customer"})
	if err != nil {
		return nil, fmt.Errorf("start a widget session: %w", err)
	}
	w.visitor = s.GetToken()
	return w, nil
}

// s7Template makes a workspace the way a tenant would have it in S7a: the
// AI agent on and, with sla, one SLA policy. Nothing else.
func s7Template(ctx context.Context, url, token, name string, sla bool) (string, error) {
	c := rpcclient.New(url, rpcclient.Connect)
	octx := rpcclient.WithToken(ctx, token)
	created, err := c.Workspace.CreateWorkspace(octx, &tandemv1.CreateWorkspaceRequest{Name: name})
	if err != nil {
		return "", fmt.Errorf("create workspace: %w", err)
	}
	id := created.GetWorkspace().GetId()
	if _, err := c.Bot.UpdateBotSettings(octx, &tandemv1.UpdateBotSettingsRequest{WorkspaceId: id, Enabled: proto.Bool(true)}); err != nil {
		return "", fmt.Errorf("turn the AI agent on: %w", err)
	}
	if sla {
		if _, err := c.SLA.CreateSlaPolicy(octx, &tandemv1.CreateSlaPolicyRequest{WorkspaceId: id, Policy: &tandemv1.SlaPolicyInput{
			Name: "Standard", FirstResponseSeconds: 3600, NextResponseSeconds: 7200, ResolutionSeconds: 86400, WarningPercent: 80,
		}}); err != nil {
			return "", fmt.Errorf("create an SLA policy: %w", err)
		}
	}
	return id, nil
}

// question is probe i's question.
func question(i int) string { return s7Questions[i%len(s7Questions)] }

// isRuleNote reports whether a history item is the S7 rule's note.
func isRuleNote(m *tandemv1.Message) bool {
	return m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_NOTE && strings.TrimSpace(m.GetBody()) == s7RuleNote
}

// isAIReply reports whether a history item is the AI agent's text to the
// customer (an answer, or the message that hands the conversation off).
func isAIReply(m *tandemv1.Message) bool {
	return m.GetAuthorKind() == tandemv1.AuthorKind_AUTHOR_KIND_BOT && m.GetKind() == tandemv1.MessageKind_MESSAGE_KIND_TEXT
}
