package publishing

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// Progress draws one bar on a terminal ("\r" redraws) and prints plain lines otherwise, so logs
// in CI stay readable.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	label string
	total int64
	done  int64
	last  time.Time
}

func NewProgress(w io.Writer, label string, total int64) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd())
	}
	return &Progress{w: w, tty: tty, label: label, total: total}
}

// Add advances the bar by n units and shows note (e.g. the current item).
func (p *Progress) Add(n int64, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if !p.tty {
		if note != "" {
			fmt.Fprintf(p.w, "%s %d/%d %s\n", p.label, p.done, p.total, note)
		}
		return
	}
	if time.Since(p.last) < 50*time.Millisecond && p.done < p.total {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = float64(p.done) / float64(p.total)
	}
	fill := int(frac * width)
	if fill > width {
		fill = width
	}
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	if len(note) > 40 {
		note = note[:40]
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %-40s", p.label, bar, frac*100, note)
}

// Done ends the bar's line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// countingReader reports bytes read to a progress bar (uploads).
type countingReader struct {
	r    io.Reader
	p    *Progress
	note string
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.p.Add(int64(n), "")
	}
	return n, err
}
