package server_test

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// FuzzEveryStringField (INP-02) is TestEveryStringField's check under Go's
// native fuzzing: the fuzzer chooses one string field of any request (an
// index into the walk's list of every procedure's string fields) and its
// bytes, UTF-8 or not. Whatever they are, the server never answers
// Internal, Unknown, Unimplemented, a 5xx or a dropped connection; bytes
// that are not UTF-8 are refused InvalidArgument naming the field; a value
// the field's rules refuse is refused InvalidArgument. `go test` runs the
// seeds (the hostile corpus, spread over the fields); `go test -run '^$'
// -fuzz FuzzEveryStringField ./internal/server` searches further.
func FuzzEveryStringField(f *testing.F) {
	srv := rpctest.Start(f, storetest.Options(f, "sqlite"), rpctest.Quiet, widgetUnlimited)
	w := worldOn(f, srv)
	validator, err := protovalidate.New()
	if err != nil {
		f.Fatal(err)
	}
	type target struct {
		md     protoreflect.MethodDescriptor
		mt     protoreflect.MessageType
		slot   stringSlot
		access tandemv1.Access
	}
	var targets []target
	procs := procedures(f)
	for _, name := range slices.Sorted(maps.Keys(procs)) {
		md := procs[name]
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range stringSlots(md.Input(), nil) {
			targets = append(targets, target{md: md, mt: mt, slot: s, access: ruleOf(md).GetAccess()})
		}
	}
	for i, h := range everyday {
		f.Add(i*len(targets)/len(everyday), []byte(h.s))
	}
	f.Add(len(targets)/2, []byte("a\xffb"))
	f.Add(len(targets)/3, []byte("\xed\xa0\x80 a lone surrogate"))
	// Every object an id field names is made now: the world's helpers
	// belong to f, which the fuzz target may not use.
	filler := &requestFiller{w: w, ids: map[string]string{}}
	for _, tg := range targets {
		filler.fill(tg.mt.New(), 0)
	}
	owner := func(t *testing.T) string {
		issued, err := srv.Domain().Accounts.NewSession(w.Ctx, w.Users["owner"])
		if err != nil {
			t.Fatal(err)
		}
		return issued.Token
	}
	tokens := map[tandemv1.Access]string{}
	f.Fuzz(func(t *testing.T, pick int, value []byte) {
		tg := targets[(pick%len(targets)+len(targets))%len(targets)]
		name := tg.slot.name()
		m := tg.mt.New()
		filler.fill(m, 0)
		var wire []byte
		var verr error
		if utf8.Valid(value) {
			tg.slot.set(filler, m, string(value))
			verr = validator.Validate(m.Interface())
			var err error
			if wire, err = proto.Marshal(m.Interface()); err != nil {
				t.Fatal(err)
			}
		} else {
			// Marshalled with a placeholder of the same length, then
			// patched: the library refuses to write what is not UTF-8.
			// Of a letter that is no byte of the length before it, which
			// would make a run one longer and the match start early.
			fill := "A"
			for _, c := range "ABC" {
				if !bytes.ContainsRune(protowire.AppendVarint(nil, uint64(len(value))), c) {
					fill = string(c)
					break
				}
			}
			placeholder := strings.Repeat(fill, len(value))
			tg.slot.set(filler, m, placeholder)
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(b, []byte(placeholder)) != 1 {
				t.Skip("the placeholder is not alone in the wire form")
			}
			wire = bytes.Replace(b, []byte(placeholder), value, 1)
		}
		token, ok := tokens[tg.access]
		if !ok {
			switch tg.access {
			case tandemv1.Access_ACCESS_PUBLIC:
			case tandemv1.Access_ACCESS_VISITOR:
				token = w.VisitorToken
			default:
				token = owner(t)
			}
			tokens[tg.access] = token
		}
		a := sendRaw(w.Ctx, srv.URL, tg.md, token, wire)
		if a.code == "unauthenticated" {
			delete(tokens, tg.access) // a Logout or a sign-out everywhere ended it: a fresh one next time
		}
		public := tg.access == tandemv1.Access_ACCESS_PUBLIC
		var violation *protovalidate.ValidationError
		refused := false
		if verr != nil && errors.As(verr, &violation) {
			for _, v := range violation.Violations {
				refused = refused || strings.Contains(protovalidate.FieldPathString(v.Proto.GetField()), tg.slot.last())
			}
		}
		switch {
		case a.broken() != "":
			t.Errorf("%s %s = %q: %s", tg.md.FullName(), name, value, a.broken())
		case public && a.code == "resource_exhausted":
		case !utf8.Valid(value) && (a.code != "invalid_argument" || !bytes.Contains(a.body, []byte(name))):
			t.Errorf("%s %s = %q (not UTF-8): HTTP %d %q, want invalid_argument naming the field: %s", tg.md.FullName(), name, value, a.status, a.code, a.body)
		case refused && a.code != "invalid_argument":
			t.Errorf("%s %s = %q: HTTP %d %q, want invalid_argument (%v)", tg.md.FullName(), name, value, a.status, a.code, verr)
		}
	})
}
