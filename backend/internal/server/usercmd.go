package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/account"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/workspace"
)

// CreateUser is `tandemd user create`: it opens (and migrates) the
// server's database and creates the account, with its membership when a
// workspace is named. The password is uc.Password, else the first line of
// stdin. What it made goes to out; errors name the flag to fix.
func CreateUser(ctx context.Context, uc config.UserCreate, stdin io.Reader, out io.Writer, logger *slog.Logger) error {
	password := uc.Password
	if password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return errors.New("no password: set TANDEM_USER_PASSWORD, pass --password, or write it on standard input")
		}
	}
	db, err := store.Open(ctx, store.Options{URL: uc.DatabaseURL, DataDir: uc.DataDir, Logger: logger})
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	// Without a hub: running servers find the new events by polling the log.
	log := events.NewLog(db, nil, nil)
	accounts := account.NewService(db, log, account.Options{})
	workspaces := workspace.NewService(db, log, accounts, workspace.Options{})
	u, w, err := workspaces.Enroll(ctx, workspace.Enrollment{Email: uc.Email, DisplayName: uc.Name, Password: password,
		Workspace: uc.Workspace, Role: access.Role(uc.Role)})
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal {
		if ae.Field != "" {
			return fmt.Errorf("--%s: %s", strings.ReplaceAll(ae.Field, "display_name", "name"), ae.Public)
		}
		return errors.New(ae.Public)
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "created user %s (id %s)\n", u.Email, u.ID)
	if w.ID != "" {
		role := uc.Role
		if role == "" {
			role = string(access.RoleOwner)
		}
		fmt.Fprintf(&b, "  %s of workspace %q (id %s, widget key %s)\n", role, w.Name, w.ID, w.PublicKey)
	}
	_, err = io.WriteString(out, b.String())
	return err
}
