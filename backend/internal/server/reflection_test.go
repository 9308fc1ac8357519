package server_test

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// TestReflectionListsHealth checks that gRPC reflection lists every service
// the port answers, the health service included, and describes it, so
// `grpcurl list` and `buf curl --list-methods` show it and can call it.
func TestReflectionListsHealth(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	for _, p := range []rpcclient.Protocol{rpcclient.GRPC} {
		t.Run(string(p), func(t *testing.T) {
			refl := grpcreflect.NewClient(rpcclient.HTTPClient(p), srv.URL, rpcclient.ClientOptions(p)...)
			stream := refl.NewStream(context.Background())
			defer func() { _, _ = stream.Close() }()
			names, err := stream.ListServices()
			if err != nil {
				t.Fatalf("list services: %v", err)
			}
			for _, want := range append(server.Services(), grpchealth.HealthV1ServiceName) {
				if !slices.Contains(names, protoreflect.FullName(want)) {
					t.Errorf("reflection lists %v, missing %s", names, want)
				}
			}
			files, err := stream.FileContainingSymbol(grpchealth.HealthV1ServiceName)
			if err != nil {
				t.Fatalf("describe %s: %v", grpchealth.HealthV1ServiceName, err)
			}
			var methods []string
			for _, f := range files {
				for _, s := range f.GetService() {
					if f.GetPackage()+"."+s.GetName() == grpchealth.HealthV1ServiceName {
						for _, m := range s.GetMethod() {
							methods = append(methods, m.GetName())
						}
					}
				}
			}
			if !slices.Contains(methods, "Check") || !slices.Contains(methods, "Watch") {
				t.Errorf("%s methods = %v, want Check and Watch", grpchealth.HealthV1ServiceName, methods)
			}
		})
	}
}
