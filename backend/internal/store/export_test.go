package store

// Tenants reports how many workspaces have a write transaction in flight or
// waiting for a turn on db (tenant.go).
func Tenants(db *DB) int { return db.tenants.tenants() }
