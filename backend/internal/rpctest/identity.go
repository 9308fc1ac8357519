package rpctest

import (
	"fmt"
	"strings"
	"time"
)

// Identities: the JSON a store signs for the widget.

// Stamped adds an issued-at of now and an expiry an hour later to an
// identity's JSON object, as a store signs it.
func Stamped(identity string) string {
	return WithTimes(identity, fmt.Sprintf(`"iat":%d,"exp":%d`, time.Now().Unix(), time.Now().Add(time.Hour).Unix()))
}

// WithTimes puts members (`"iat":..,"exp":..`) at the end of an identity's
// JSON object.
func WithTimes(identity, members string) string {
	return strings.TrimSuffix(identity, "}") + "," + members + "}"
}
