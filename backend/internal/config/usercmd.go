package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UserCreate is `tandemd user create`: the account an operator makes from
// a script, and the store it goes in (the server's own settings).
type UserCreate struct {
	DataDir, DatabaseURL string
	Email, Name          string
	// Workspace is the id or name of the workspace the user joins with
	// Role; a new name is created when Role is owner.
	Workspace, Role string
	// Password is from --password or TANDEM_USER_PASSWORD; empty means
	// read the first line of standard input.
	Password string
}

// LoadUserCreate parses the arguments after `tandemd user create`.
func LoadUserCreate(args []string, getenv func(string) string, usage io.Writer) (UserCreate, error) {
	fs := flag.NewFlagSet("tandemd user create", flag.ContinueOnError)
	fs.SetOutput(usage)
	or := func(env, def string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return def
	}
	var u UserCreate
	fs.StringVar(&u.DataDir, "data-dir", or("TANDEM_DATA_DIR", "./tandem-data"), "directory of the embedded SQLite database (env TANDEM_DATA_DIR)")
	fs.StringVar(&u.DatabaseURL, "database-url", getenv("TANDEM_DATABASE_URL"), "MySQL/MariaDB database, as for the server (env TANDEM_DATABASE_URL)")
	fs.StringVar(&u.Email, "email", "", "the account's email (required)")
	fs.StringVar(&u.Name, "name", "", "the account's display name (default: the email's local part)")
	fs.StringVar(&u.Workspace, "workspace", "", "id or name of the workspace the user joins; a new name is created when --role is owner")
	fs.StringVar(&u.Role, "role", "", "owner, admin, supervisor or agent in --workspace (default owner)")
	fs.StringVar(&u.Password, "password", getenv("TANDEM_USER_PASSWORD"), "the password (env TANDEM_USER_PASSWORD; visible to other local users as a flag); empty reads the first line of standard input")
	fs.Usage = func() {
		// Like the flag package's own output (PrintDefaults), usage has
		// nowhere to report a failed write.
		_, _ = fmt.Fprintln(usage, `Usage: tandemd user create --email EMAIL [--name NAME] [--workspace ID_OR_NAME [--role ROLE]] [flags]

Creates an account (argon2id-hashed password) for scripted installs, in the
database the server uses. The password comes from TANDEM_USER_PASSWORD,
--password, or the first line of standard input:

  echo "$PASSWORD" | tandemd user create --email you@example.com --workspace "Acme Support"

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return UserCreate{}, err
	}
	if fs.NArg() > 0 {
		return UserCreate{}, fmt.Errorf("unexpected argument %q (see tandemd user create --help)", fs.Arg(0))
	}
	u.Email, u.Role = strings.TrimSpace(u.Email), strings.ToLower(strings.TrimSpace(u.Role))
	var errs []error
	if u.Email == "" {
		errs = append(errs, errors.New("--email is required"))
	}
	if u.DataDir == "" && u.DatabaseURL == "" {
		errs = append(errs, errors.New("--data-dir (TANDEM_DATA_DIR) or --database-url (TANDEM_DATABASE_URL) is required"))
	}
	return u, errors.Join(errs...)
}
