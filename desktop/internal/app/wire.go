package app

import (
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// wire encodes an API message as the frontend reads it: protobuf JSON,
// decoded there with fromJson and the generated schema.
func wire(m proto.Message) json.RawMessage {
	b, err := protojson.Marshal(m)
	if err != nil {
		// Only invalid UTF-8 makes protojson fail; the server never sends it.
		return json.RawMessage("null")
	}
	return b
}

// wires encodes a list of messages.
func wires[M proto.Message](ms []M) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, wire(m))
	}
	return out
}
