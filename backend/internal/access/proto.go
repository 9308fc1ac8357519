package access

import (
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
