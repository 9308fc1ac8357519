package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/api/tandem/v1/tandemv1connect"
	"github.com/tandem-inbox/tandem/backend/internal/config"
	"github.com/tandem-inbox/tandem/backend/internal/rpcclient"
	"github.com/tandem-inbox/tandem/backend/internal/rpctest"
	"github.com/tandem-inbox/tandem/backend/internal/server"
	"github.com/tandem-inbox/tandem/backend/internal/store"
	"github.com/tandem-inbox/tandem/backend/internal/storetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tandemd test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS serves HTTPS with a self-signed certificate and calls it over
// HTTP/2: a gRPC login through a generated client, and a plain request.
func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) {
		c.TLSCert, c.TLSKey = certFile, keyFile
	})
	base := "https://" + strings.TrimPrefix(srv.URL, "http://")
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	hc := &http.Client{Transport: &http.Transport{Protocols: protocols,
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer hc.CloseIdleConnections()

	resp, _ := rpctest.Do(t, hc, http.MethodGet, base+"/healthz", nil, "")
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Errorf("GET /healthz over TLS: status %d, %s, TLS %v; want 200 over HTTP/2 with TLS", resp.StatusCode, resp.Proto, resp.TLS != nil)
	}

	ctx := context.Background()
	u, _, err := srv.Domain().Accounts.EnsureUser(ctx, "tls@example.test", "", rpctest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	auth := tandemv1connect.NewAuthServiceClient(hc, base, connect.WithGRPC())
	login, err := auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
	rpctest.WantCode(t, err, 0)
	if login.GetUser().GetId() != u.ID {
		t.Fatalf("login = %v", login)
	}

	t.Run("untrusted or cleartext clients fail", func(t *testing.T) {
		untrusted := tandemv1connect.NewAuthServiceClient(&http.Client{Transport: &http.Transport{}}, base)
		_, err := untrusted.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
		if err == nil {
			t.Error("a client that does not trust the certificate signed in")
		}
		cleartext := rpcclient.New(srv.URL, rpcclient.GRPC)
		if _, err := cleartext.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword}); err == nil {
			t.Error("a cleartext client signed in on the TLS port")
		}
	})
}

// TestCORS sends preflights and calls from browser origins: only the
// configured origin is allowed, and it may read the request id.
func TestCORS(t *testing.T) {
	t.Parallel()
	on := rpctest.Start(t, storetest.Options(t, "sqlite"), func(c *config.Config) {
		c.CORSOrigins = []string{"https://shop.example"}
	})
	off := rpctest.Start(t, storetest.Options(t, "sqlite"))
	// As browsers send them: lower case, sorted, no spaces.
	const requested = "authorization,connect-protocol-version,content-type,x-request-id"
	cases := []struct {
		name    string
		srv     *rpctest.Server
		origin  string
		allowed bool
	}{
		{"configured origin", on, "https://shop.example", true},
		{"other origin", on, "https://evil.example", false},
		{"other scheme", on, "http://shop.example", false},
		{"origin as a prefix", on, "https://shop.example.evil.example", false},
		{"no origins configured", off, "https://shop.example", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.srv.URL + "/tandem.v1.AuthService/Login"
			resp, _ := rpctest.Do(t, http.DefaultClient, http.MethodOptions, url, http.Header{
				"Origin":                         {tc.origin},
				"Access-Control-Request-Method":  {http.MethodPost},
				"Access-Control-Request-Headers": {requested},
			}, "")
			if resp.Header.Get(server.RequestIDHeader) == "" {
				t.Error("preflight response without X-Request-Id")
			}
			allowOrigin := resp.Header.Get("Access-Control-Allow-Origin")
			if !tc.allowed {
				if allowOrigin != "" {
					t.Fatalf("preflight from %s allowed: Access-Control-Allow-Origin %q", tc.origin, allowOrigin)
				}
			} else {
				if resp.StatusCode/100 != 2 || allowOrigin != tc.origin {
					t.Fatalf("preflight: status %d, Access-Control-Allow-Origin %q; want 2xx and %q", resp.StatusCode, allowOrigin, tc.origin)
				}
				if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, http.MethodPost) {
					t.Errorf("Access-Control-Allow-Methods %q lacks POST", m)
				}
				allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
				for _, h := range strings.Split(requested, ",") {
					if !strings.Contains(allowed, h) {
						t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
					}
				}
			}

			// The call itself (a failed login: no account needed).
			resp, _ = rpctest.Do(t, http.DefaultClient, http.MethodPost, url, http.Header{
				"Origin": {tc.origin}, "Content-Type": {"application/json"},
			}, `{"email":"nobody@example.test","password":"wrong password"}`)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("login: status %d, want 401", resp.StatusCode)
			}
			allowOrigin = resp.Header.Get("Access-Control-Allow-Origin")
			exposed := strings.ToLower(resp.Header.Get("Access-Control-Expose-Headers"))
			if tc.allowed && (allowOrigin != tc.origin || !strings.Contains(exposed, "x-request-id")) {
				t.Errorf("call: Access-Control-Allow-Origin %q, Access-Control-Expose-Headers %q; want %q exposing X-Request-Id", allowOrigin, exposed, tc.origin)
			}
			if !tc.allowed && allowOrigin != "" {
				t.Errorf("call from %s allowed: Access-Control-Allow-Origin %q", tc.origin, allowOrigin)
			}
		})
	}
}

// healthCheck is a gRPC health client. grpchealth keeps its generated
// messages internal, so this uses well-known types of the same wire form:
// HealthCheckRequest is {string service = 1}, like StringValue, and
// HealthCheckResponse is {ServingStatus status = 1}, an enum encoded like
// Int32Value's int32.
func healthCheck(baseURL string) *connect.Client[wrapperspb.StringValue, wrapperspb.Int32Value] {
	return connect.NewClient[wrapperspb.StringValue, wrapperspb.Int32Value](
		rpcclient.HTTPClient(rpcclient.GRPC), baseURL+"/grpc.health.v1.Health/Check", connect.WithGRPC())
}

// TestHealth checks liveness, readiness and gRPC health on each database.
func TestHealth(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts)
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, srv.URL+path, nil, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
		check := healthCheck(srv.URL)
		const serving = 1
		for _, svc := range append(server.Services(), "") {
			resp, err := check.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String(svc)))
			if err != nil {
				t.Errorf("health of %q: %v", svc, err)
				continue
			}
			if got := resp.Msg.GetValue(); got != serving {
				t.Errorf("health of %q: status %d, want SERVING (%d)", svc, got, serving)
			}
		}
		_, err := check.CallUnary(context.Background(), connect.NewRequest(wrapperspb.String("tandem.v1.NoSuchService")))
		rpctest.WantCode(t, err, connect.CodeNotFound)
	})
}

// TestMetrics makes one good and one bad login and reads /metrics: RPC
// counts by procedure and code, the duration histogram, the database pool.
func TestMetrics(t *testing.T) {
	t.Parallel()
	storetest.EachURL(t, func(t *testing.T, opts store.Options) {
		srv := rpctest.Start(t, opts)
		ctx := context.Background()
		u, _, err := srv.Domain().Accounts.EnsureUser(ctx, "metrics@example.test", "", rpctest.TestPassword)
		if err != nil {
			t.Fatal(err)
		}
		c := srv.Clients(rpcclient.GRPC)
		_, err = c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: rpctest.TestPassword})
		rpctest.WantCode(t, err, 0)
		_, err = c.Auth.Login(ctx, &tandemv1.LoginRequest{Email: u.Email, Password: "wrong password"})
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)

		resp, body := rpctest.Do(t, http.DefaultClient, http.MethodGet, srv.MetricsURL+"/metrics", nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
		}
		samples, types := rpctest.ParseMetrics(t, body)
		const login = "/tandem.v1.AuthService/Login"
		for _, tc := range []struct {
			name   string
			labels map[string]string
			want   float64 // -1: any positive value
		}{
			{"tandem_rpc_requests_total", map[string]string{"procedure": login, "code": "ok"}, 1},
			{"tandem_rpc_requests_total", map[string]string{"procedure": login, "code": "unauthenticated"}, 1},
			{"tandem_rpc_duration_seconds_count", map[string]string{"procedure": login}, 2},
			{"tandem_rpc_duration_seconds_bucket", map[string]string{"procedure": login, "le": "+Inf"}, 2},
			{"tandem_rpc_duration_seconds_sum", map[string]string{"procedure": login}, -1},
			{"go_sql_max_open_connections", map[string]string{"db_name": "tandem"}, -1},
			{"go_sql_open_connections", map[string]string{"db_name": "tandem"}, -1},
		} {
			got, ok := rpctest.Find(samples, tc.name, tc.labels)
			switch {
			case !ok:
				t.Errorf("no sample %s%v", tc.name, tc.labels)
			case tc.want < 0 && got <= 0, tc.want >= 0 && got != tc.want:
				t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
			}
		}
		if typ := types["tandem_rpc_duration_seconds"]; typ != "histogram" {
			t.Errorf("tandem_rpc_duration_seconds is a %q, want a histogram", typ)
		}
		if strings.Contains(body, u.ID) || strings.Contains(body, u.Email) {
			t.Error("metrics carry a user id or email as a label")
		}
	})
}

// TestRequestID checks that responses carry an X-Request-Id: a fresh one,
// or the client's own when it sent a valid one.
func TestRequestID(t *testing.T) {
	t.Parallel()
	srv := rpctest.Start(t, storetest.Options(t, "sqlite"))
	ctx := context.Background()
	u, _, err := srv.Domain().Accounts.EnsureUser(ctx, "request-id@example.test", "", rpctest.TestPassword)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := srv.Domain().Accounts.NewSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)
	const mine = "client-chosen_id.0001"
	sent := []struct {
		name string
		id   string
		echo bool
	}{
		{"none sent", "", false},
		{"valid id sent", mine, true},
		{"invalid id sent", "not valid!", false},
		{"too short", "abc", false},
	}
	check := func(t *testing.T, got, sentID string, echo bool) {
		t.Helper()
		switch {
		case got == "":
			t.Error("no X-Request-Id in the response")
		case echo && got != sentID:
			t.Errorf("X-Request-Id %q, want the client's %q", got, sentID)
		case !echo && (got == sentID || !valid.MatchString(got)):
			t.Errorf("X-Request-Id %q: want a fresh valid id", got)
		}
	}

	for _, p := range rpcclient.Protocols() {
		c := srv.Clients(p)
		for _, s := range sent {
			for _, authed := range []bool{true, false} { // a success and an error
				t.Run(string(p)+"/"+s.name+"/authed="+strconv.FormatBool(authed), func(t *testing.T) {
					callCtx, info := connect.NewClientContext(ctx)
					if authed {
						callCtx = rpcclient.WithToken(callCtx, issued.Token)
					}
					if s.id != "" {
						info.RequestHeader().Set(server.RequestIDHeader, s.id)
					}
					_, err := c.Auth.WhoAmI(callCtx, &tandemv1.WhoAmIRequest{})
					got := ""
					if authed {
						rpctest.WantCode(t, err, 0)
						got = info.ResponseHeader().Get(server.RequestIDHeader)
					} else {
						rpctest.WantCode(t, err, connect.CodeUnauthenticated)
						var ce *connect.Error
						if errors.As(err, &ce) {
							got = ce.Meta().Get(server.RequestIDHeader)
						}
					}
					check(t, got, s.id, s.echo)
				})
			}
		}
	}

	// Responses that no RPC handler produces carry one too.
	requests := []struct {
		name, method, path, contentType, body string
	}{
		{"liveness", http.MethodGet, "/healthz", "", ""},
		{"readiness", http.MethodGet, "/readyz", "", ""},
		{"health check", http.MethodPost, "/grpc.health.v1.Health/Check", "application/json", "{}"},
		{"malformed request", http.MethodPost, "/tandem.v1.AuthService/Login", "application/json", `{"email": `},
		{"unknown procedure", http.MethodPost, "/tandem.v1.AuthService/NoSuchMethod", "application/json", "{}"},
	}
	for _, r := range requests {
		for _, s := range sent[:2] {
			t.Run("http/"+r.name+"/"+s.name, func(t *testing.T) {
				h := http.Header{}
				if r.contentType != "" {
					h.Set("Content-Type", r.contentType)
				}
				if s.id != "" {
					h.Set(server.RequestIDHeader, s.id)
				}
				resp, _ := rpctest.Do(t, http.DefaultClient, r.method, srv.URL+r.path, h, r.body)
				check(t, resp.Header.Get(server.RequestIDHeader), s.id, s.echo)
			})
		}
	}
}
