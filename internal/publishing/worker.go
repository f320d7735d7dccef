package publishing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Worker runs the publish jobs the operator's page asks for (public.publish_jobs): it claims one
// at a time (SKIP LOCKED, so any number of workers may run), downloads the uploaded package and
// runs the pipeline over it, appending every line it prints to the job's log. The job ends
// published, refused (a package problem, every line of it in the log) or failed.
type Worker struct {
	DB          DB // safe for concurrent use (a pool): the heartbeat shares it
	Store       *S3Store
	Name        string // this worker in publish_jobs.worker
	Blender     string // Blender executable for vetting ("" = blender on PATH)
	SigningKeys string // MANIFEST_SIGNING_KEYS
	// Heartbeat is how often a running job is marked alive (default 20 s); a job whose worker
	// stopped beating for two minutes is taken over by another.
	Heartbeat time.Duration
	Log       io.Writer // one line per job outcome; nil discards
}

// Job is the part of a publish_jobs row the worker uses.
type Job struct {
	ID           string
	UploadKey    string
	FileName     string
	Size         int64
	NewVersionOf *string
}

// Run polls for jobs every `every` until ctx ends; errors of the database are logged and retried.
func (w *Worker) Run(ctx context.Context, every time.Duration) error {
	for {
		ran, err := w.RunOne(ctx)
		if err != nil {
			w.logf("publish worker: %v", err)
		}
		if ran && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func (w *Worker) logf(format string, args ...any) {
	if w.Log != nil {
		fmt.Fprintf(w.Log, format+"\n", args...)
	}
}

// RunOne claims and runs one job; ran is false when none was queued.
func (w *Worker) RunOne(ctx context.Context) (ran bool, err error) {
	var j Job
	err = w.DB.QueryRow(ctx, `select id::text, upload_key, file_name, size, new_version_of
		from public.claim_publish_job($1) where id is not null`, w.Name).
		Scan(&j.ID, &j.UploadKey, &j.FileName, &j.Size, &j.NewVersionOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	return true, w.run(ctx, j)
}

type logLine struct {
	At      time.Time  `json:"at"`
	Problem bool       `json:"problem"`
	Text    string     `json:"text"`
	Code    codes.Code `json:"code,omitempty"` // a problem's code: the page shows its sentence
}

// jobLog is the job's side of the pipeline's output: every complete line is sent to the job's
// log at once (the page shows it live), and Step moves the job on.
type jobLog struct {
	w    *Worker
	ctx  context.Context
	job  string
	mu   sync.Mutex
	part []byte
	err  error // the first failure to write the log (the job was taken over or finished)
}

func (l *jobLog) send(step string, lines ...logLine) {
	if lines == nil {
		lines = []logLine{}
	}
	b, _ := json.Marshal(lines)
	var s *string
	if step != "" {
		s = &step
	}
	if _, err := l.w.DB.Exec(l.ctx, `select public.publish_job_progress($1, $2, $3, $4::jsonb)`, l.job, l.w.Name, s, string(b)); err != nil && l.err == nil {
		l.err = err
	}
}

func (l *jobLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	var lines []logLine
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		if t := strings.TrimRight(string(l.part[:i]), "\r"); strings.TrimSpace(t) != "" {
			lines = append(lines, logLine{At: time.Now(), Text: t})
		}
		l.part = l.part[i+1:]
	}
	if len(lines) > 0 {
		l.send("", lines...)
	}
	return len(p), nil
}

// Step marks the job as being at step, with a line saying so.
func (l *jobLog) Step(step, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.send(step, logLine{At: time.Now(), Text: text})
}

func (w *Worker) run(ctx context.Context, j Job) error {
	log := &jobLog{w: w, ctx: ctx, job: j.ID}
	beat := w.Heartbeat
	if beat <= 0 {
		beat = 20 * time.Second
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				log.mu.Lock()
				log.send("")
				log.mu.Unlock()
			}
		}
	})
	item, err := w.pipeline(ctx, j, log)
	close(stop)
	wg.Wait()
	if log.err != nil {
		return fmt.Errorf("job %s: %w", j.ID, log.err)
	}

	status, code, slug, version := "published", (*string)(nil), (*string)(nil), (*string)(nil)
	var lines []logLine
	var refused *Refused
	switch {
	case err == nil:
		s, v := item.Slug(), item.Version()
		slug, version = &s, &v
		lines = append(lines, logLine{At: time.Now(), Text: fmt.Sprintf("published %s %s", s, v)})
	case errors.As(err, &refused):
		status, code = "refused", ptr(string(refused.Code))
		lines = append(lines, logLine{At: time.Now(), Text: refused.Summary})
		for _, p := range refused.Problems {
			lines = append(lines, logLine{At: time.Now(), Problem: true, Text: p.Text, Code: p.Code})
		}
	default:
		status, code = "failed", ptr(string(codes.InternalError))
		lines = append(lines, logLine{At: time.Now(), Problem: true, Text: err.Error(), Code: codes.InternalError})
	}
	if item != nil && item.Pkg != nil && slug == nil {
		s, v := item.Slug(), item.Version()
		slug, version = &s, &v
	}
	b, _ := json.Marshal(lines)
	if _, ferr := w.DB.Exec(ctx, `select public.finish_publish_job($1, $2, $3, $4, $5, $6, $7::jsonb)`,
		j.ID, w.Name, status, code, slug, version, string(b)); ferr != nil {
		return fmt.Errorf("job %s: finish: %w", j.ID, ferr)
	}
	// The upload has served its purpose either way: published, it lives under packages/ now;
	// refused, it must not linger. A failed job keeps it for a retry.
	if status != "failed" {
		if derr := w.Store.Delete(ctx, j.UploadKey); derr != nil {
			w.logf("job %s: %v", j.ID, derr)
		}
	}
	w.logf("job %s (%s): %s", j.ID, j.FileName, status)
	return nil
}

func ptr[T any](v T) *T { return &v }

// pipeline is the CLI's pipeline over one uploaded package: download, validate, vet (Octane graph
// included), sign, check the catalog, derive the previews, upload and register.
func (w *Worker) pipeline(ctx context.Context, j Job, log *jobLog) (*Item, error) {
	log.Step("download", fmt.Sprintf("download: %s (%d bytes)", j.FileName, j.Size))
	if j.Size > shaderpkg.MaxPackageSize {
		return nil, &Refused{Step: "download", Code: codes.PackageTooLarge,
			Summary: fmt.Sprintf("%d bytes is over the %d byte package limit", j.Size, int64(shaderpkg.MaxPackageSize))}
	}
	data, err := w.Store.Get(ctx, j.UploadKey, shaderpkg.MaxPackageSize)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != j.Size {
		return nil, fmt.Errorf("the stored upload has %d bytes, the page announced %d", len(data), j.Size)
	}
	log.Step("validate", "validate: reading every file of the package (hashes, sizes, layout)")
	it, cleanup, err := itemFromUpload(j.FileName, data)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	items := []*Item{it}
	if err := Validate(items, log); err != nil {
		return it, err
	}
	if j.NewVersionOf != nil && it.Slug() != *j.NewVersionOf {
		return it, &Refused{Step: "validate", Code: codes.PackageInvalid, Summary: "not a new version of " + *j.NewVersionOf,
			Problems: []Problem{{Code: codes.PackageInvalid, Text: fmt.Sprintf("%s: the package is shader %q, not %q", j.FileName, it.Slug(), *j.NewVersionOf)}}}
	}
	log.Step("vet", "vet: material.blend in headless Blender, and its Octane graph against OctaneBlender's nodes")
	if err := Vet(ctx, items, w.Blender, log); err != nil {
		return it, err
	}
	log.Step("sign", "sign: the manifest with the delivery signing key")
	if err := Sign(items, w.SigningKeys); err != nil {
		return it, err
	}
	log.Step("register", "register: checking the catalog, then uploading and registering the version")
	db := NewCatalogDB(w.DB)
	if err := db.CheckCatalog(ctx, items, false); err != nil {
		return it, err
	}
	if err := Derive(items, log); err != nil {
		return it, err
	}
	return it, Publish(ctx, db, w.Store, items, log)
}
