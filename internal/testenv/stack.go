package testenv

import (
	"bufio"
	"context"
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

// TB is what the stack needs from its caller: a *testing.T, or the stack command's own
// (internal/testenv/cmd/stack), whose Fatal stops everything started so far and exits.
type TB interface {
	Helper()
	Log(args ...any)
	Logf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Cleanup(func())
}

// Demo users of the seed.
const (
	ProEmail     = "pro@octane.local"
	ProPassword  = "octane-demo-pro"
	ProUserID    = "11111111-1111-4111-8111-111111111111"
	FreeEmail    = "free@octane.local"
	FreePassword = "octane-demo-free"
	FreeUserID   = "22222222-2222-4222-8222-222222222222"
)

// StackInfo describes a running Supabase stand-in and edge over a fresh database (and, when
// asked for, the site).
type StackInfo struct {
	SupabaseURL, EdgeURL string
	// StripeURL is the stack's own local Stripe (cmd/stripe-local): the edge's STRIPE_API_BASE, its
	// webhooks go to this edge signed with STRIPE_WEBHOOK_SECRET, and browsers pay on its pages.
	StripeURL string
	// SiteURL is the site's address: the started `next start` (StackOptions.Site), the site a
	// caller runs (StackOptions.SiteURL), or the configured SITE_URL.
	SiteURL             string
	AnonKey, ServiceKey string
	JWTSecret           string
	DBURL, DBName       string
	S3                  S3Config
	// Supabase and Edge control the two processes (tests stop and start them to simulate outages);
	// Site is the `next start` process when one was started, Stripe the local Stripe. Nil when reused.
	Supabase, Edge, Site, Stripe *Process
	// Env is the environment every process got over the test's own: the local stack's values
	// (.env.example) with this stack's database, URLs and S3 (for tools a caller runs against it).
	Env map[string]string
	// Reused is true when StackOptions.Reuse found a stack running (make dev) and started nothing.
	Reused bool
}

// Process is a server a test started; Stop and Start reuse the same port and environment.
type Process struct {
	Name  string
	URL   string
	bin   string
	args  []string
	dir   string
	env   []string
	ready string        // path answering 200 when the process serves
	wait  time.Duration // how long Start waits for ready (default 60 s)
	log   func(string)
	file  string // when set, the process's output goes there instead of log

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StackOptions chooses what the stack runs. The zero value is what Go tests use: the stand-in
// and the edge on free loopback ports over a fresh database, output in the test log.
type StackOptions struct {
	// EdgeEnv and SupabaseEnv are extra environment for the processes (e.g. DEVICE_TOKEN_TTL, JWT_EXPIRY).
	EdgeEnv, SupabaseEnv map[string]string
	// SupabaseAddr, EdgeAddr, SiteAddr are fixed listen addresses (host:port); empty: a free port.
	SupabaseAddr, EdgeAddr, SiteAddr string
	// PortSets takes the first free set of the end-to-end port sets (PortSets: stand-in, edge,
	// site) instead of free ports, so a site build made for one set can be reused by later runs.
	PortSets bool
	// Reuse: when a stand-in already answers at SupabaseAddr (make dev), use what runs there
	// (its edge at EdgeAddr and site at SITE_URL when the edge answers) and start nothing but a
	// site when none runs.
	Reuse bool
	// Catalog publishes the demo catalog (catalog/demo, public previews) and unpublishes the
	// seed's placeholders, as make dev does.
	Catalog bool
	// Publish runs the publisher (cmd/publish --no-vet --skip-existing ARGS...) once per entry,
	// after the catalog and before the servers start.
	Publish [][]string
	// Site starts `next start` of a production build of frontend/ made for this stack's URLs
	// (site.go: the tree's own frontend/.next when the URLs are the local stack's defaults,
	// otherwise a copy per port combination under .local/e2e/, rebuilt when sources change).
	Site bool
	// SiteURL is a site the caller runs itself: the edge's CORS origin and the stand-in's
	// SITE_URL (no site is started).
	SiteURL string
	// LogDir receives each server's output (standin.log, edge.log, web.log) instead of the test log.
	LogDir string
	// DBName names the fresh database (default test_<random>).
	DBName string
}

// PortSets are the end-to-end runs' port sets [stand-in, edge, site], away from the documented
// 54321/8787/3000; a set is taken only when all three of its ports are free.
var PortSets = func() [][3]int {
	sets := make([][3]int, 6)
	for i := range sets {
		sets[i] = [3]int{54331 + 10*i, 8797 + 10*i, 3011 + 10*i}
	}
	return sets
}()

// Stack builds (cached) and starts the Supabase stand-in and the edge over a fresh database
// cloned from the template, on free loopback ports; both stop when the test ends.
func Stack(t testing.TB) StackInfo { return StackWith(t, StackOptions{}) }

// StackWith starts the stack opt describes; everything it started stops, and the database is
// dropped, when t ends (t.Cleanup). It is the one launcher of every end-to-end suite: Go tests
// call it, and the JavaScript suites through its command (internal/testenv/cmd/stack).
func StackWith(t TB, opt StackOptions) StackInfo {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dotenv, err := readDotenv(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	info := StackInfo{
		AnonKey:    dotenv["SUPABASE_ANON_KEY"],
		ServiceKey: dotenv["SUPABASE_SERVICE_ROLE_KEY"],
		JWTSecret:  dotenv["SUPABASE_JWT_SECRET"],
	}
	if opt.PortSets {
		set, ok := freePortSet()
		if !ok {
			t.Fatalf("no free port set among %v (other end-to-end runs?)", PortSets)
		}
		opt.SupabaseAddr = fmt.Sprintf("127.0.0.1:%d", set[0])
		opt.EdgeAddr = fmt.Sprintf("127.0.0.1:%d", set[1])
		opt.SiteAddr = fmt.Sprintf("127.0.0.1:%d", set[2])
	}
	if opt.Reuse && reuse(t, root, dotenv, opt, &info) {
		return info
	}
	s3 := S3(t)
	name := opt.DBName
	if name == "" {
		name = "test_" + randomHex(8)
	}
	info.DBURL = database(t, name)
	info.DBName = name
	info.S3 = s3
	builds := []string{"supabase", "edge", "stripe"}
	if opt.Catalog || len(opt.Publish) > 0 {
		builds = append(builds, "publish")
	}
	if opt.Catalog {
		builds = append(builds, "texgen")
	}
	bins, err := buildServers(root, builds...)
	if err != nil {
		t.Fatalf("build stack binaries: %v", err)
	}
	// Addresses first: every process is told the others' URLs.
	supabaseAddr, edgeAddr := orFree(t, opt.SupabaseAddr), orFree(t, opt.EdgeAddr)
	info.SiteURL = getenv("SITE_URL", dotenv["SITE_URL"])
	siteAddr := ""
	if opt.SiteURL != "" {
		info.SiteURL = opt.SiteURL
	} else if opt.Site {
		siteAddr = orFree(t, opt.SiteAddr)
		info.SiteURL = "http://" + siteAddr
	}
	common := map[string]string{
		"DATABASE_URL": info.DBURL, "SUPABASE_JWT_SECRET": info.JWTSecret,
		"SUPABASE_ANON_KEY": info.AnonKey, "SUPABASE_SERVICE_ROLE_KEY": info.ServiceKey,
		"S3_ENDPOINT": s3.Endpoint, "S3_REGION": s3.Region, "S3_ACCESS_KEY": s3.AccessKey,
		"S3_SECRET_KEY": s3.SecretKey, "S3_BUCKET": s3.Bucket, "LOG_LEVEL": "warn",
		"REDIS_URL": "", "SENTRY_DSN": "",
		"SITE_URL": info.SiteURL, "NEXT_PUBLIC_SITE_URL": info.SiteURL,
		"NEXT_PUBLIC_PREVIEW_BASE_URL": s3.Endpoint + "/" + s3.Bucket,
	}
	// Each stack has its own local Stripe: its state belongs to this database and its webhooks
	// to this edge. Started after the edge (which calls Stripe only on requests), on an address
	// fixed now because the edge is told it.
	stripeAddr := FreeAddr(t)
	info.StripeURL = "http://" + stripeAddr
	common["STRIPE_API_BASE"] = info.StripeURL
	setURLs := func(supabaseURL, edgeURL string) {
		info.SupabaseURL, info.EdgeURL = supabaseURL, edgeURL
		common["SUPABASE_URL"], common["NEXT_PUBLIC_SUPABASE_URL"] = supabaseURL, supabaseURL
		common["EDGE_URL"], common["NEXT_PUBLIC_EDGE_URL"] = edgeURL, edgeURL
	}
	setURLs("http://"+supabaseAddr, "http://"+edgeAddr)
	toolEnv := mergeMaps(dotenv, common)
	if opt.Catalog || len(opt.Publish) > 0 {
		publish(t, root, bins["publish"], bins["texgen"], mergeEnv(toolEnv), info.DBURL, opt)
	}

	logs := processLog(t, opt.LogDir)
	info.Supabase = startProcess(t, opt.SupabaseAddr, supabaseAddr, func(addr string) *Process {
		setURLs("http://"+addr, info.EdgeURL)
		env := mergeEnv(dotenv, common, map[string]string{"STANDIN_ADDR": addr, "API_EXTERNAL_URL": "http://" + addr}, opt.SupabaseEnv)
		return &Process{Name: "supabase stand-in", URL: "http://" + addr, bin: bins["supabase"], env: env, ready: "/auth/v1/health", log: logs.log, file: logs.file("standin")}
	})
	info.Edge = startProcess(t, opt.EdgeAddr, edgeAddr, func(addr string) *Process {
		setURLs(info.SupabaseURL, "http://"+addr)
		env := mergeEnv(dotenv, common, map[string]string{"EDGE_ADDR": addr}, opt.EdgeEnv)
		return &Process{Name: "edge", URL: "http://" + addr, bin: bins["edge"], env: env, ready: "/readyz", log: logs.log, file: logs.file("edge")}
	})
	info.Stripe = startProcess(t, stripeAddr, stripeAddr, func(addr string) *Process {
		env := mergeEnv(dotenv, common, map[string]string{"STRIPE_LOCAL_ADDR": addr, "STRIPE_LOCAL_URL": info.StripeURL,
			"STRIPE_WEBHOOK_URL": info.EdgeURL + "/v1/stripe/webhook", "STRIPE_LOCAL_STATE": ""})
		return &Process{Name: "local stripe", URL: info.StripeURL, bin: bins["stripe"], env: env, ready: "/healthz", log: logs.log, file: logs.file("stripe")}
	})
	if siteAddr != "" {
		info.Site = startSite(t, root, dotenv, common, siteAddr, logs)
	}
	info.Env = mergeMaps(dotenv, common)
	return info
}

// startProcess starts the process mk makes for an address: fixed when want is set, else addr
// and, when a free port was taken between probing and binding (parallel packages), another.
func startProcess(t TB, want, addr string, mk func(addr string) *Process) *Process {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := mk(addr)
		err := p.Start()
		if err == nil {
			// Registered after the database's cleanup, so it runs first: processes end before the database is dropped.
			t.Cleanup(p.Stop)
			return p
		}
		if attempt == 3 || want != "" {
			t.Fatal(err)
		}
		addr = FreeAddr(t)
	}
}

func orFree(t TB, addr string) string {
	if addr != "" {
		return addr
	}
	return FreeAddr(t)
}

func freePortSet() ([3]int, bool) {
	for _, set := range PortSets {
		free := true
		for _, port := range set {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return set, true
		}
	}
	return [3]int{}, false
}

// reuse fills info from a stack that already runs (make dev) and reports whether there was one.
func reuse(t TB, root string, dotenv map[string]string, opt StackOptions, info *StackInfo) bool {
	if opt.SupabaseAddr == "" || !servesOK(context.Background(), "http://"+opt.SupabaseAddr+"/auth/v1/health") {
		return false
	}
	info.Reused = true
	info.SupabaseURL = "http://" + opt.SupabaseAddr
	info.DBURL = getenv("DATABASE_URL", dotenv["DATABASE_URL"])
	info.SiteURL = opt.SiteURL
	// The edge answers CORS for one origin, its SITE_URL: a running edge means make dev's site.
	if opt.EdgeAddr != "" && servesOK(context.Background(), "http://"+opt.EdgeAddr+"/healthz") {
		info.EdgeURL = "http://" + opt.EdgeAddr
		if info.SiteURL == "" {
			info.SiteURL = getenv("SITE_URL", dotenv["SITE_URL"])
		}
	}
	info.StripeURL = dotenv["STRIPE_API_BASE"] // make dev runs .env.example's
	common := map[string]string{"SUPABASE_URL": info.SupabaseURL, "EDGE_URL": info.EdgeURL, "LOG_LEVEL": "warn"}
	if opt.Site && info.SiteURL == "" {
		addr := orFree(t, opt.SiteAddr)
		common["SITE_URL"] = "http://" + addr
		info.Site = startSite(t, root, dotenv, common, addr, processLog(t, opt.LogDir))
		info.SiteURL = info.Site.URL
	}
	info.Env = mergeMaps(dotenv, common)
	return true
}

type logs struct {
	log func(string)
	dir string
}

func (l logs) file(name string) string {
	if l.dir == "" {
		return ""
	}
	return filepath.Join(l.dir, name+".log")
}

func processLog(t TB, dir string) logs {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return logs{log: func(s string) { t.Log(s) }, dir: dir}
}

// publish runs the publisher over the fresh database and the S3 bucket: the demo catalog, then
// opt.Publish; the seed's placeholders are then hidden (as make dev does) when the catalog is in.
func publish(t TB, root, bin, texgen string, env []string, dbURL string, opt StackOptions) {
	t.Helper()
	var runs [][]string
	if opt.Catalog {
		// The v2 packages' texture sets are not committed: generated once (kept in the folder,
		// git-ignored) and checked against the committed manifests.
		cmd := exec.Command(texgen, "sets", filepath.Join(root, "catalog", "demo"))
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("texgen sets: %v\n%s", err, tail(out, 20))
		}
		runs = append(runs, []string{"--public-previews", filepath.Join(root, "catalog", "demo")})
	}
	runs = append(runs, opt.Publish...)
	for _, args := range runs {
		cmd := exec.Command(bin, append([]string{"--no-vet", "--skip-existing"}, args...)...)
		cmd.Dir, cmd.Env = root, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("publish %s: %v\n%s", strings.Join(args, " "), err, tail(out, 20))
		}
	}
	if opt.Catalog {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "update public.shaders set published = false where slug like 'placeholder-%' and published"); err != nil {
			t.Fatalf("hide the placeholders: %v", err)
		}
	}
}

func tail(b []byte, lines int) string {
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// Start launches the process (again) and waits until it serves.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.Name)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Env = p.env
	cmd.SysProcAttr = sysProcAttr()
	var out io.ReadCloser
	if p.file != "" {
		f, err := os.OpenFile(p.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close() // the child has its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	} else {
		cmd.Stdout = io.Discard
		var err error
		if out, err = cmd.StderrPipe(); err != nil {
			return err
		}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		if out != nil {
			// Forward the server's warnings to the test log: they explain failures.
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				p.log(p.Name + ": " + sc.Text())
			}
		}
		cmd.Wait()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	wait := p.wait
	if wait == 0 {
		wait = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	where := ""
	if p.file != "" {
		where = " (log: " + p.file + ")"
	}
	for {
		if servesOK(ctx, p.URL+p.ready) {
			// Still ours? A process that lost the port exits at once while another one answers.
			select {
			case <-done:
				p.cmd = nil
				return fmt.Errorf("%s exited during start: %v%s", p.Name, cmd.ProcessState, where)
			case <-time.After(150 * time.Millisecond):
				return nil
			}
		}
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("%s exited during start: %v%s", p.Name, cmd.ProcessState, where)
		case <-ctx.Done():
			cmd.Process.Kill()
			<-done
			p.cmd = nil
			return fmt.Errorf("%s did not become ready at %s%s", p.Name, p.URL, where)
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
	var out struct {
		AccessToken string `json:"access_token"`
	}
	status, raw := SendJSON(t, http.MethodPost, s.SupabaseURL+"/auth/v1/token?grant_type=password",
		map[string]string{"apikey": s.AnonKey}, map[string]string{"email": email, "password": password}, &out)
	if status != http.StatusOK || out.AccessToken == "" {
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
	hdr := map[string]string{}
	if bearer != "" {
		hdr["Authorization"] = "Bearer " + bearer
	}
	status, _ := SendJSON(t, method, s.EdgeURL+path, hdr, body, out)
	return status
}

// Root is RepoRoot for a test: the module root, or the test fails.
func Root(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
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

// mergeMaps lays the maps over each other in order.
func mergeMaps(layers ...map[string]string) map[string]string {
	m := map[string]string{}
	for _, l := range layers {
		for k, v := range l {
			m[k] = v
		}
	}
	return m
}

// FreeAddr is a free loopback host:port (the listener that found it is closed again).
func FreeAddr(t TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildServers builds the named programs (supabase, edge, publish) into a per-user directory
// under the system temp dir. go build leaves an up-to-date output alone, so repeated runs cost a
// fraction of a second; when it does write, it renames a finished file into place, so test
// binaries of parallel packages building the same outputs never see half a file.
func buildServers(root string, names ...string) (map[string]string, error) {
	if len(names) == 0 {
		names = []string{"supabase", "edge"}
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("octane-testenv-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	pkgs := map[string]string{"supabase": "./supabase/local", "edge": "./edge", "publish": "./cmd/publish", "stripe": "./cmd/stripe-local",
		"texgen": "./cmd/texgen"}
	bins := map[string]string{}
	for _, name := range names {
		pkg := pkgs[name]
		out := filepath.Join(dir, name)
		cmd := exec.Command(goBin, "build", "-o", out, pkg)
		cmd.Dir = root
		// GOAMD64=v1: no fused multiply-adds, so texgen computes the bytes the manifests list.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOAMD64=v1")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		bins[name] = out
	}
	return bins, nil
}
