package access

import (
	"context"
	"net"

	"connectrpc.com/connect"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
)

// RoleFromProto converts an API role; validation has already refused
// unspecified and unknown values.
func RoleFromProto(r tandemv1.Role) Role {
	switch r {
	case tandemv1.Role_ROLE_OWNER:
		return RoleOwner
	case tandemv1.Role_ROLE_ADMIN:
		return RoleAdmin
	case tandemv1.Role_ROLE_SUPERVISOR:
		return RoleSupervisor
	case tandemv1.Role_ROLE_AGENT:
		return RoleAgent
	}
	return ""
}

// RoleToProto converts a role for the API.
func RoleToProto(r Role) tandemv1.Role {
	switch r {
	case RoleOwner:
		return tandemv1.Role_ROLE_OWNER
	case RoleAdmin:
		return tandemv1.Role_ROLE_ADMIN
	case RoleSupervisor:
		return tandemv1.Role_ROLE_SUPERVISOR
	case RoleAgent:
		return tandemv1.Role_ROLE_AGENT
	}
	return tandemv1.Role_ROLE_UNSPECIFIED
}

// ClientIP is the address of the caller's end of the connection. Proxy
// headers are not trusted.
func ClientIP(ctx context.Context) string {
	info, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return ""
	}
	addr := info.Peer().Addr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
