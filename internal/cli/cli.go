// Package cli is where the project's commands meet the process: a signal-aware context for the
// command's run function, and its error printed under the command's name with exit status 1.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Run calls run with a context that ends on the first Ctrl-C or SIGTERM, so the command can stop
// cleanly (close servers, finish a write); a second signal kills the process as usual. When run
// fails, Run prints "name: err" on stderr and exits with status 1.
func Run(name string, run func(ctx context.Context) error) {
	signalled, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-signalled.Done()
		stop() // back to the default before run hears of it: the next signal is not caught
		cancel()
	}()
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
