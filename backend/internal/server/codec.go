package server

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protoCodec is connect's binary codec, except that a request holding
// invalid UTF-8 in a string field is refused with InvalidArgument naming that
// field, as every other bad input is.
type protoCodec struct{}

func (protoCodec) Name() string { return "proto" }

func (protoCodec) Marshal(m any) ([]byte, error) {
	msg, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("%T is not a proto message", m)
	}
	return proto.Marshal(msg)
}

func (protoCodec) Unmarshal(data []byte, m any) error {
	msg, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("%T is not a proto message", m)
	}
	err := proto.Unmarshal(data, msg)
	if err != nil && strings.Contains(err.Error(), "invalid UTF-8") {
		if path := invalidUTF8Field(msg.ProtoReflect().Descriptor(), data); path != "" {
			return connect.NewError(connect.CodeInvalidArgument, errors.New(path+": must be valid UTF-8"))
		}
	}
	return err
}

// invalidUTF8Field walks the wire form of a message and returns the path of
// the first string field that is not valid UTF-8.
func invalidUTF8Field(md protoreflect.MessageDescriptor, b []byte) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		switch {
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
			return string(fd.Name())
		case fd.IsMap():
			// An entry is a message of a key (1) and a value (2): the
			// path names the map, and what is inside a message value.
			if inner := invalidUTF8Field(fd.Message(), v); inner != "" {
				if rest, ok := strings.CutPrefix(inner, "value."); ok {
					return string(fd.Name()) + "." + rest
				}
				return string(fd.Name())
			}
		case fd.Kind() == protoreflect.MessageKind:
			if inner := invalidUTF8Field(fd.Message(), v); inner != "" {
				return string(fd.Name()) + "." + inner
			}
		}
	}
	return ""
}
