// Command stack starts the test stack (testenv.StackWith: a fresh database cloned from the
// template, the Supabase stand-in, the edge, optionally the demo catalog and the site) for the
// end-to-end suites that are not written in Go (e2e/run.mjs, frontend/tests/e2e). It prints
// progress lines, then one line `STACK {json}` with the endpoints, and stops everything (and
// drops the database) when its standard input closes or on SIGTERM/SIGINT/SIGHUP.
//
//	go run ./internal/testenv/cmd/stack -port-sets -catalog -site -log-dir .local/log/e2e
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

type multi [][]string

func (m *multi) String() string { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error {
	*m = append(*m, strings.Fields(v))
	return nil
}

// Endpoints is what the command prints after `STACK `.
type Endpoints struct {
	SupabaseURL string            `json:"supabase_url"`
	EdgeURL     string            `json:"edge_url"`
	SiteURL     string            `json:"site_url"`
	StripeURL   string            `json:"stripe_url"`
	DBURL       string            `json:"db_url"`
	DB          string            `json:"db"`
	AnonKey     string            `json:"anon_key"`
	ServiceKey  string            `json:"service_key"`
	Reused      bool              `json:"reused"`
	SiteStarted bool              `json:"site_started"`
	Env         map[string]string `json:"env"`
}

func main() {
	var opt testenv.StackOptions
	var publish multi
	flag.StringVar(&opt.SupabaseAddr, "supabase-addr", "", "stand-in listen address (default: a free port)")
	flag.StringVar(&opt.EdgeAddr, "edge-addr", "", "edge listen address (default: a free port)")
	flag.StringVar(&opt.SiteAddr, "site-addr", "", "site listen address with -site (default: a free port)")
	flag.BoolVar(&opt.PortSets, "port-sets", false, "take the first free end-to-end port set (testenv.PortSets)")
	flag.BoolVar(&opt.Reuse, "reuse", false, "use a stack already serving at -supabase-addr (make dev) instead of starting one")
	flag.BoolVar(&opt.Catalog, "catalog", false, "publish the demo catalog and hide the seed's placeholders, as make dev")
	flag.Var(&publish, "publish", "publish `ARGS` (whitespace-separated) after the catalog; repeatable")
	flag.BoolVar(&opt.Site, "site", false, "start `next start` of a build for this stack's URLs")
	flag.StringVar(&opt.SiteURL, "site-url", "", "a site the caller runs itself (CORS origin and SITE_URL)")
	flag.StringVar(&opt.LogDir, "log-dir", "", "write each server's output to DIR/<name>.log (default: stderr)")
	db := flag.String("db-prefix", "stack", "database name prefix (<prefix>_<pid>_<random>)")
	flag.Parse()
	opt.Publish = publish
	testenv.DropOrphanDatabases(*db + "_")
	opt.DBName = fmt.Sprintf("%s_%d_%s", *db, os.Getpid(), randomHex())

	c := &cli{}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	started := make(chan struct{})
	go func() { // stop what runs (so far) and exit
		<-sig
		c.stop()
		select {
		case <-started:
			os.Exit(0)
		default:
			os.Exit(1)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(failed); !ok {
				panic(r)
			}
			c.stop()
			os.Exit(1)
		}
	}()
	info := testenv.StackWith(c, opt)
	out, _ := json.Marshal(Endpoints{SupabaseURL: info.SupabaseURL, EdgeURL: info.EdgeURL, SiteURL: info.SiteURL, StripeURL: info.StripeURL,
		DBURL: info.DBURL, DB: info.DBName, AnonKey: info.AnonKey, ServiceKey: info.ServiceKey,
		Reused: info.Reused, SiteStarted: info.Site != nil, Env: info.Env})
	fmt.Printf("STACK %s\n", out)
	close(started)
	io.Copy(io.Discard, os.Stdin)
	c.stop()
}

func randomHex() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// cli is the command's testenv.TB: logs go to stdout, Fatal and Skip (a missing service) stop
// what was started and exit 1, cleanups run in reverse order as testing's do.
type cli struct {
	mu       sync.Mutex
	cleanups []func()
	stopped  bool
}

type failed struct{}

func (c *cli) Helper()                         {}
func (c *cli) Log(args ...any)                 { fmt.Println(args...) }
func (c *cli) Logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (c *cli) Fatal(args ...any)               { c.fail(fmt.Sprint(args...)) }
func (c *cli) Fatalf(format string, args ...any) {
	c.fail(fmt.Sprintf(format, args...))
}
func (c *cli) Skip(args ...any) { c.fail(fmt.Sprint(args...)) }
func (c *cli) fail(msg string) {
	fmt.Fprintln(os.Stderr, "stack:", msg)
	fmt.Println("stack:", msg)
	panic(failed{})
}

func (c *cli) Cleanup(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanups = append(c.cleanups, f)
}

func (c *cli) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
}
