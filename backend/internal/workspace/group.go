package workspace

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/tandem-inbox/tandem/backend/internal/access"
	"github.com/tandem-inbox/tandem/backend/internal/apperr"
	"github.com/tandem-inbox/tandem/backend/internal/events"
	"github.com/tandem-inbox/tandem/backend/internal/naming"
	"github.com/tandem-inbox/tandem/backend/internal/page"
	"github.com/tandem-inbox/tandem/backend/internal/store"
)

// CreateGroup adds a group to the scope's workspace.
func (s *Service) CreateGroup(ctx context.Context, actor *access.Principal, scope *access.Scope, name, description string, maxChatsPerAgent int) (Group, error) {
	name, err := groupName(name)
	if err != nil {
		return Group{}, err
	}
	now := store.NowMillis(s.now())
	g := Group{ID: uuid.NewString(), WorkspaceID: scope.WorkspaceID, Name: name, Description: description,
		MaxChatsPerAgent: maxChatsPerAgent, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := insertGroup(ctx, tx, &g); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrGroupNameTaken
			}
			return fmt.Errorf("insert group: %w", err)
		}
		return s.appendEvent(ctx, tx, g.WorkspaceID, actor, events.GroupCreated, events.Agents,
			map[string]string{"group_id": g.ID, "name": name})
	})
	return g, err
}

// Groups pages through a workspace's groups by name.
func (s *Service) Groups(ctx context.Context, workspaceID string, size int32, token string) ([]Group, string, error) {
	var afterName, afterID string
	if _, err := page.Decode(token, &afterName, &afterID); err != nil {
		return nil, "", err
	}
	limit := page.Size(size)
	gs, err := groupsPage(ctx, s.db, workspaceID, afterName, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list groups: %w", err)
	}
	gs, next := page.Cut(gs, limit, func(g Group) []any { return []any{g.Name, g.ID} })
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	members, err := groupMemberIDs(ctx, s.db, ids)
	if err != nil {
		return nil, "", fmt.Errorf("group members: %w", err)
	}
	for i := range gs {
		gs[i].MemberIDs = members[gs[i].ID]
	}
	return gs, next, nil
}

// group loads a group with its members inside tx.
func (s *Service) group(ctx context.Context, q store.Querier, id string) (Group, error) {
	g, err := groupByID(ctx, q, id)
	if store.ErrNoRows(err) {
		return Group{}, apperr.ErrNotFound
	}
	if err != nil {
		return Group{}, fmt.Errorf("get group: %w", err)
	}
	members, err := groupMemberIDs(ctx, q, []string{id})
	if err != nil {
		return Group{}, fmt.Errorf("group members: %w", err)
	}
	g.MemberIDs = members[id]
	return g, nil
}

// UpdateGroup renames or redescribes a group; nil fields stay.
func (s *Service) UpdateGroup(ctx context.Context, actor *access.Principal, id string, name, description *string, maxChatsPerAgent *int) (Group, error) {
	var g Group
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = s.group(ctx, tx, id); err != nil {
			return err
		}
		if name != nil {
			if g.Name, err = groupName(*name); err != nil {
				return err
			}
		}
		if description != nil {
			g.Description = *description
		}
		if maxChatsPerAgent != nil {
			g.MaxChatsPerAgent = *maxChatsPerAgent
		}
		g.UpdatedAt = store.NowMillis(s.now())
		if err := updateGroup(ctx, tx, &g); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrGroupNameTaken
			}
			return fmt.Errorf("update group: %w", err)
		}
		return s.appendEvent(ctx, tx, g.WorkspaceID, actor, events.GroupUpdated, events.Agents,
			map[string]string{"group_id": g.ID, "name": g.Name})
	})
	return g, err
}

// DeleteGroup removes a group.
func (s *Service) DeleteGroup(ctx context.Context, actor *access.Principal, id string) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		g, err := s.group(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := deleteGroup(ctx, tx, id); err != nil {
			return fmt.Errorf("delete group: %w", err)
		}
		return s.appendEvent(ctx, tx, g.WorkspaceID, actor, events.GroupDeleted, events.Agents,
			map[string]string{"group_id": id})
	})
}

// AddGroupMember puts a workspace member into a group.
func (s *Service) AddGroupMember(ctx context.Context, actor *access.Principal, groupID, userID string) (Group, error) {
	var g Group
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = s.group(ctx, tx, groupID); err != nil {
			return err
		}
		// The member must belong to the group's own workspace: an id from
		// another workspace is refused like any non-member.
		if _, err := memberOf(ctx, tx, g.WorkspaceID, userID, ""); store.ErrNoRows(err) {
			return ErrNotMember
		} else if err != nil {
			return fmt.Errorf("get member: %w", err)
		}
		if err := insertGroupMember(ctx, tx, groupID, g.WorkspaceID, userID, store.NowMillis(s.now())); err != nil {
			if tx.Dialect.IsUniqueViolation(err) {
				return ErrAlreadyInGroup
			}
			return fmt.Errorf("add group member: %w", err)
		}
		g.MemberIDs = append(g.MemberIDs, userID)
		return s.appendEvent(ctx, tx, g.WorkspaceID, actor, events.GroupMemberAdded, events.Agents,
			map[string]string{"group_id": groupID, "user_id": userID})
	})
	return g, err
}

// RemoveGroupMember takes a member out of a group.
func (s *Service) RemoveGroupMember(ctx context.Context, actor *access.Principal, groupID, userID string) (Group, error) {
	var g Group
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = s.group(ctx, tx, groupID); err != nil {
			return err
		}
		removed, err := deleteGroupMember(ctx, tx, groupID, userID)
		if err != nil {
			return fmt.Errorf("remove group member: %w", err)
		}
		if !removed {
			return ErrNotInGroup
		}
		kept := g.MemberIDs[:0]
		for _, id := range g.MemberIDs {
			if id != userID {
				kept = append(kept, id)
			}
		}
		g.MemberIDs = kept
		return s.appendEvent(ctx, tx, g.WorkspaceID, actor, events.GroupMemberRemoved, events.Agents,
			map[string]string{"group_id": groupID, "user_id": userID})
	})
	return g, err
}

// GroupWorkspace resolves a group id to its workspace, for authorization.
func (s *Service) GroupWorkspace(ctx context.Context, id string) (string, error) {
	g, err := groupByID(ctx, s.db, id)
	if store.ErrNoRows(err) {
		return "", apperr.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("resolve group: %w", err)
	}
	return g.WorkspaceID, nil
}

// groupName trims a group name: MySQL compares names ignoring trailing
// spaces and SQLite does not, so names are stored without them and both
// agree on which names collide.
func groupName(name string) (string, error) {
	if err := naming.Check("name", name); err != nil {
		return "", err
	}
	return strings.TrimSpace(name), nil
}

// GroupMembers lists the user ids of a group's members.
func (s *Service) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	m, err := groupMemberIDs(ctx, s.db, []string{groupID})
	if err != nil {
		return nil, fmt.Errorf("group members: %w", err)
	}
	return m[groupID], nil
}

// GroupRouting returns what routing needs of a group: its members and the
// cap on each member's chats (0 for none).
func (s *Service) GroupRouting(ctx context.Context, groupID string) ([]string, int, error) {
	g, err := groupByID(ctx, s.db, groupID)
	if err != nil {
		return nil, 0, fmt.Errorf("group: %w", err)
	}
	members, err := s.GroupMembers(ctx, groupID)
	return members, g.MaxChatsPerAgent, err
}

// AllGroups lists the workspace's groups by name, without their members
// (at most 200: what a customer could choose from).
func (s *Service) AllGroups(ctx context.Context, workspaceID string) ([]Group, error) {
	gs, err := groupsPage(ctx, s.db, workspaceID, "", "", 200)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}
