package automation

import (
	"context"
	"fmt"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
)

// Directory answers where the groups and members that rules and buttons
// name belong: the workspace package's membership and groups.
type Directory interface {
	Role(ctx context.Context, workspaceID, userID string) (access.Role, error)
	GroupWorkspace(ctx context.Context, groupID string) (string, error)
}

// checkRefs refuses conditions and actions that name a group, member or
// canned response of another workspace (or none): saved, such a rule could
// never match or act, and its id would point into another tenant's data
// (ISO-02). field is the request's name for the spec ("rule", "action").
func (s *Service) checkRefs(ctx context.Context, workspaceID, field string, conds []Condition, acts []Action) error {
	for _, c := range conds {
		if c.Kind == CondGroup {
			if err := s.ownGroup(ctx, workspaceID, c.Value, field+".conditions"); err != nil {
				return err
			}
		}
		if err := s.checkRefs(ctx, workspaceID, field, c.Children, nil); err != nil {
			return err
		}
	}
	for _, a := range acts {
		var err error
		switch a.Kind {
		case ActAssignGroup:
			err = s.ownGroup(ctx, workspaceID, a.Value, field+".actions")
		case ActAssignUser:
			if _, err = s.deps.Directory.Role(ctx, workspaceID, a.Value); apperr.Is(err, apperr.NotFound) {
				err = apperr.Invalid(field+".actions", "names a user who is not a member of this workspace")
			}
		case ActCanned:
			var ws string
			if ws, err = s.deps.Canned.WorkspaceOf(ctx, a.Value); apperr.Is(err, apperr.NotFound) || (err == nil && ws != workspaceID) {
				err = apperr.Invalid(field+".actions", "names a canned response that is not one of this workspace's")
			}
		}
		if err != nil {
			return fmt.Errorf("check %s: %w", a.Kind, err)
		}
	}
	return nil
}

// ownGroup refuses a group id that is not one of the workspace's.
func (s *Service) ownGroup(ctx context.Context, workspaceID, groupID, field string) error {
	ws, err := s.deps.Directory.GroupWorkspace(ctx, groupID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && ws != workspaceID) {
		return apperr.Invalid(field, "names a group that is not one of this workspace's")
	}
	return err
}
