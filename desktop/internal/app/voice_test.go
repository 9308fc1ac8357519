package app_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/outbox"
	"github.com/tandem-inbox/tandem/desktop/internal/tandemtest"
)

// TestVoiceMessage records a voice message in the window's way (base64 of
// what MediaRecorder made): it goes out as an audio attachment the
// customer gets, and it plays back in the app from the server. What is not
// audio is refused before anything is sent.
func TestVoiceMessage(t *testing.T) {
	srv := tandemtest.Start(t, nil)
	cust := srv.StartConversation(t, "Vic", "Can I just talk to someone?")
	r := launch(t, "")
	if _, err := r.app.SignIn(srv.URL, tandemtest.AgentEmail, tandemtest.Password); err != nil {
		t.Fatal(err)
	}
	// The start of a WebM file (EBML header, as MediaRecorder writes it).
	clip := append([]byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04,
		0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm', 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02},
		[]byte(strings.Repeat("opus audio ", 200))...)

	for name, data := range map[string]string{
		"not base64": "%%%",
		"empty":      "",
		"not audio":  base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\nrm -rf ~\n")),
		"too big":    base64.StdEncoding.EncodeToString(append([]byte("OggS"), make([]byte, outbox.MaxFileBytes)...)),
	} {
		if _, err := r.app.AttachRecording("voice", data); apiclient.KindOf(err) != apiclient.KindInvalid {
			t.Errorf("AttachRecording of %s = %v, want invalid", name, err)
		}
	}
	f, err := r.app.AttachRecording("../../voice-message", base64.StdEncoding.EncodeToString(clip))
	if err != nil || f.Name != "voice-message.webm" || f.Size != int64(len(clip)) {
		t.Fatalf("AttachRecording = %+v, %v", f, err)
	}
	it, err := r.app.Reply(cust.Conversation.GetId(), "", []string{f.ID})
	if err != nil || len(it.Files) != 1 {
		t.Fatalf("Reply with the clip = %+v, %v", it, err)
	}
	eventually(t, "the voice message to be sent", func() bool {
		d, _ := itemOf(r, it.ClientID)
		if d.State == outbox.Failed {
			t.Fatalf("the voice message failed: %+v", d)
		}
		return d.State == outbox.Delivered
	})
	var got *tandemv1.Attachment
	eventually(t, "the customer to get the voice message", func() bool {
		for _, m := range cust.Messages(t) {
			if len(m.GetAttachments()) == 1 {
				got = m.GetAttachments()[0]
				return true
			}
		}
		return false
	})
	if got.GetContentType() != "audio/webm" || got.GetName() != "voice-message.webm" {
		t.Fatalf("the customer got %v, want an audio/webm voice message", got)
	}
	url, err := r.app.PlayAttachment(got.GetId())
	if err != nil || url != "data:audio/webm;base64,"+base64.StdEncoding.EncodeToString(clip) {
		t.Fatalf("PlayAttachment = %.60q, %v", url, err)
	}

	// Other files are saved, not played.
	pdf := filepath.Join(t.TempDir(), "receipt.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4 receipt"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.shell.pick = []string{pdf}
	picked, err := r.app.PickFiles()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.Reply(cust.Conversation.GetId(), "Your receipt", []string{picked[0].ID}); err != nil {
		t.Fatal(err)
	}
	var receipt *tandemv1.Attachment
	eventually(t, "the customer to get the receipt", func() bool {
		for _, m := range cust.Messages(t) {
			if m.GetBody() == "Your receipt" && len(m.GetAttachments()) == 1 {
				receipt = m.GetAttachments()[0]
				return true
			}
		}
		return false
	})
	if _, err := r.app.PlayAttachment(receipt.GetId()); apiclient.KindOf(err) != apiclient.KindInvalid {
		t.Errorf("PlayAttachment of a PDF = %v, want invalid", err)
	}
	if _, err := r.app.PlayAttachment("00000000-0000-0000-0000-000000000000"); apiclient.KindOf(err) != apiclient.KindNotFound {
		t.Errorf("PlayAttachment of an unknown file = %v", err)
	}
}
