package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Demo users of the seed.
const (
	ProEmail     = "pro@octane.local"
	ProPassword  = "octane-demo-pro"
	ProUserID    = "11111111-1111-4111-8111-111111111111"
	FreeEmail    = "free@octane.local"
	FreePassword = "octane-demo-free"
	FreeUserID   = "22222222-2222-4222-8222-222222222222"
)

// StackInfo describes a running Supabase stand-in and edge over a fresh database.
type StackInfo struct {
	SupabaseURL, EdgeURL string
	AnonKey, ServiceKey  string
	JWTSecret            string
	DBURL                string
	S3                   S3Config
	// Supabase and Edge control the two processes (tests stop and start them to simulate outages).
	Supabase, Edge *Process
}

// Process is a server binary a test started; Stop and Start reuse the same port and environment.
type Process struct {
	Name  string
	URL   string
	bin   string
	env   []string
	ready string // path answering < 500 when the process serves
	log   func(string)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StackOptions adjusts the processes' environment (e.g. DEVICE_TOKEN_TTL, JWT_EXPIRY).
type StackOptions struct {
	EdgeEnv, SupabaseEnv map[string]string
}

// Stack builds (cached) and starts the Supabase stand-in and the edge over a fresh database
// cloned from the template, on free loopback ports; both stop when the test ends.
func Stack(t testing.TB) StackInfo { return StackWith(t, StackOptions{}) }

// StackWith is Stack with extra environment for the processes.
func StackWith(t testing.TB, opt StackOptions) StackInfo {
	t.Helper()
	s3 := S3(t)
	dbURL := DB(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dotenv, err := readDotenv(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	bins, err := buildServers(root)
	if err != nil {
		t.Fatalf("build stack binaries: %v", err)
	}
	info := StackInfo{
		AnonKey:    dotenv["SUPABASE_ANON_KEY"],
		ServiceKey: dotenv["SUPABASE_SERVICE_ROLE_KEY"],
		JWTSecret:  dotenv["SUPABASE_JWT_SECRET"],
		DBURL:      dbURL,
		S3:         s3,
	}
	common := map[string]string{
		"DATABASE_URL": dbURL, "SUPABASE_JWT_SECRET": info.JWTSecret,
		"SUPABASE_ANON_KEY": info.AnonKey, "SUPABASE_SERVICE_ROLE_KEY": info.ServiceKey,
		"S3_ENDPOINT": s3.Endpoint, "S3_REGION": s3.Region, "S3_ACCESS_KEY": s3.AccessKey,
		"S3_SECRET_KEY": s3.SecretKey, "S3_BUCKET": s3.Bucket, "LOG_LEVEL": "warn",
		"REDIS_URL": "", "SENTRY_DSN": "",
	}
	if v := os.Getenv("STRIPE_API_BASE"); v != "" {
		common["STRIPE_API_BASE"] = v
	}
	logf := func(s string) { t.Log(s) }
	// A free port can be taken between probing and binding (parallel packages): try another.
	start := func(mk func(addr string) *Process) *Process {
		for attempt := 1; ; attempt++ {
			p := mk(freeAddr(t))
			err := p.Start()
			if err == nil {
				// Registered after DB's cleanup, so it runs first: processes end before the database is dropped.
				t.Cleanup(p.Stop)
				return p
			}
			if attempt == 3 {
				t.Fatal(err)
			}
		}
	}
	info.Supabase = start(func(addr string) *Process {
		env := mergeEnv(dotenv, common, map[string]string{"STANDIN_ADDR": addr}, opt.SupabaseEnv)
		return &Process{Name: "supabase stand-in", URL: "http://" + addr, bin: bins["supabase"], env: env, ready: "/auth/v1/health", log: logf}
	})
	info.SupabaseURL = info.Supabase.URL
	info.Edge = start(func(addr string) *Process {
		env := mergeEnv(dotenv, common, map[string]string{"EDGE_ADDR": addr, "EDGE_URL": "http://" + addr,
			"SUPABASE_URL": info.SupabaseURL}, opt.EdgeEnv)
		return &Process{Name: "edge", URL: "http://" + addr, bin: bins["edge"], env: env, ready: "/readyz", log: logf}
	})
	info.EdgeURL = info.Edge.URL
	return info
}

// Start launches the process (again) and waits until it serves.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.Name)
	}
	cmd := exec.Command(p.bin)
	cmd.Env = p.env
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		// Forward the server's warnings to the test log: they explain failures.
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log(p.Name + ": " + sc.Text())
		}
		cmd.Wait()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if servesOK(ctx, p.URL+p.ready) {
			// Still ours? A process that lost the port exits at once while another one answers.
			select {
			case <-done:
				p.cmd = nil
				return fmt.Errorf("%s exited during start: %v", p.Name, cmd.ProcessState)
			case <-time.After(150 * time.Millisecond):
				return nil
			}
		}
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("%s exited during start: %v", p.Name, cmd.ProcessState)
		case <-ctx.Done():
			cmd.Process.Kill()
			<-done
			p.cmd = nil
			return fmt.Errorf("%s did not become ready at %s", p.Name, p.URL)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends the process (SIGTERM, then SIGKILL after 10 s). Stopping a stopped process is a no-op.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Kill ends the process at once (SIGKILL), as a crash would.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

func servesOK(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// SignIn signs a user in with a password at the stand-in's GoTrue and returns the access token.
func (s StackInfo) SignIn(t testing.TB, email, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, s.SupabaseURL+"/auth/v1/token?grant_type=password", bytes.NewReader(body))
	req.Header.Set("apikey", s.AnonKey)
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if status, raw := s.do(t, req, &out); status != http.StatusOK || out.AccessToken == "" {
		t.Fatalf("sign in %s: %d %s", email, status, raw)
	}
	return out.AccessToken
}

// Conn connects to the stack's database as its owner, closed when the test ends.
func (s StackInfo) Conn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), s.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ProJWT signs in the demo pro user (active subscription).
func (s StackInfo) ProJWT(t testing.TB) string { return s.SignIn(t, ProEmail, ProPassword) }

// EdgeJSON calls the edge with a bearer credential and a JSON body, decodes the JSON answer into out
// (when non-nil) and returns the status. An empty bearer sends no Authorization header.
func (s StackInfo) EdgeJSON(t testing.TB, method, path, bearer string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.EdgeURL+path, rd)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, _ := s.do(t, req, out)
	return status
}

func (s StackInfo) do(t testing.TB, req *http.Request, out any) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", req.Method, req.URL.Path, err, raw)
		}
	}
	return resp.StatusCode, raw
}

// RepoRoot finds the module root (the directory with go.mod) above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func readDotenv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			m[k] = v
		}
	}
	return m, nil
}

// mergeEnv starts from the test process's environment (PATH, HOME, GOCOVERDIR...) and lays the
// maps over it in order; os/exec keeps the last value of a duplicated name.
func mergeEnv(layers ...map[string]string) []string {
	env := os.Environ()
	for _, l := range layers {
		for k, v := range l {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildServers builds the stand-in and the edge into a per-user directory under the system temp
// dir. go build leaves an up-to-date output alone, so repeated runs cost a fraction of a second;
// when it does write, it renames a finished file into place, so test binaries of parallel packages
// building the same outputs never see half a file.
func buildServers(root string) (map[string]string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("octane-testenv-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	bins := map[string]string{}
	for name, pkg := range map[string]string{"supabase": "./supabase/local", "edge": "./edge"} {
		out := filepath.Join(dir, name)
		cmd := exec.Command(goBin, "build", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		bins[name] = out
	}
	return bins, nil
}
