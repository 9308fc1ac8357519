package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSONMap is a string map stored as a JSON text column. SQL never looks
// inside it.
type JSONMap map[string]string

// Value implements driver.Valuer.
func (m JSONMap) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(m))
	return string(b), err
}

// Scan implements sql.Scanner.
func (m *JSONMap) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*m = nil
		return nil
	default:
		return fmt.Errorf("JSONMap: cannot scan %T", src)
	}
	out := map[string]string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("JSONMap: %w", err)
		}
	}
	*m = out
	return nil
}
