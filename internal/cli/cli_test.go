//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The commands the test binary plays when CLI_TEST_COMMAND names one.
var commands = map[string]func(ctx context.Context) error{
	"ok":    func(context.Context) error { return nil },
	"fail":  func(context.Context) error { return errors.New("no such thing") },
	"wait":  untilSignalled(func() { os.Stdout.WriteString("cleaning up\n") }),
	"stuck": untilSignalled(func() { os.Stdout.WriteString("cleaning up\n"); select {} }), // only a second signal ends it
}

// untilSignalled says "ready", waits for the context to end, then cleans up.
func untilSignalled(cleanUp func()) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		os.Stdout.WriteString("ready\n")
		<-ctx.Done()
		cleanUp()
		return nil
	}
}

func TestMain(m *testing.M) {
	if run, ok := commands[os.Getenv("CLI_TEST_COMMAND")]; ok {
		Run("demo", run)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(what string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CLI_TEST_COMMAND="+what)
	return cmd
}

func TestRunExitsZeroWhenTheCommandSucceeds(t *testing.T) {
	out, err := command("ok").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("err %v, output %q", err, out)
	}
}

func TestRunPrintsTheErrorUnderTheCommandsNameAndExitsOne(t *testing.T) {
	cmd := command("fail")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v", err)
	}
	if stderr.String() != "demo: no such thing\n" {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// start runs the command until it says "ready" and returns it with its remaining output.
func start(t *testing.T, what string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := command(what)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("want ready, got %q (%v)", sc.Text(), sc.Err())
	}
	return cmd, sc
}

func TestASignalEndsTheContextSoTheCommandCanCleanUp(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, sc := start(t, "wait")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if !sc.Scan() || sc.Text() != "cleaning up" {
				t.Fatalf("want cleaning up, got %q", sc.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("a command stopped by %s exits 0 when it cleaned up: %v", sig, err)
			}
		})
	}
}

func TestASecondSignalKillsACommandThatDoesNotStop(t *testing.T) {
	cmd, sc := start(t, "stuck")
	cmd.Process.Signal(syscall.SIGTERM)
	if !sc.Scan() || sc.Text() != "cleaning up" {
		t.Fatalf("want cleaning up, got %q", sc.Text())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("want the process killed, got %v", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("want death by SIGTERM, got %v", err)
	}
}
