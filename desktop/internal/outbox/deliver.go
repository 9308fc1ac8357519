package outbox

import (
	"context"
	"errors"
	"os"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
)

// Uploader sends one kept file of a reply (its client id makes retries
// safe) and returns the server's file id.
type Uploader func(ctx context.Context, conversationID string, f File, path string) (string, error)

// Sender returns the Deliver that sends items through the conversation
// service: replies with SendMessage (after uploading their files with up),
// notes with AddNote, each with the item's client id. up may be nil when no
// item carries files.
func (o *Outbox) Sender(c tandemv1connect.ConversationServiceClient, up Uploader) Deliver {
	return func(ctx context.Context, it Item) (string, error) {
		switch it.Kind {
		case Note:
			res, err := c.AddNote(ctx, &tandemv1.AddNoteRequest{ConversationId: it.ConversationID, ClientId: it.ClientID,
				Body: it.Body, MentionUserIds: it.Mentions, Whisper: it.Whisper})
			if err != nil {
				return "", err
			}
			return res.GetNote().GetId(), nil
		default:
			ids := make([]string, 0, len(it.Files))
			for _, f := range it.Files {
				if up == nil {
					return "", errors.New("outbox: no uploader for files")
				}
				id, err := up(ctx, it.ConversationID, f, o.FilePath(f))
				if err != nil {
					return "", err
				}
				ids = append(ids, id)
			}
			res, err := c.SendMessage(ctx, &tandemv1.SendMessageRequest{ConversationId: it.ConversationID, ClientId: it.ClientID, Body: it.Body, FileIds: ids})
			if err != nil {
				return "", err
			}
			return res.GetMessage().GetId(), nil
		}
	}
}

// Via returns the Deliver that sends items with a server's client, files
// through its files endpoint.
func (o *Outbox) Via(c *apiclient.Client) Deliver {
	return o.Sender(c.Conversations, func(ctx context.Context, conversationID string, f File, path string) (string, error) {
		r, err := os.Open(path)
		if err != nil {
			// The kept copy is gone: retrying cannot bring it back.
			return "", apiclient.Errorf(apiclient.KindInvalid, "The attached file "+f.Name+" is no longer on this computer.")
		}
		defer r.Close()
		a, err := c.UploadFile(ctx, conversationID, f.ClientID, f.Name, r, f.Size)
		if err != nil {
			return "", err
		}
		return a.GetId(), nil
	})
}
