package publishing

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const operatorID = "99999999-9999-4999-8999-999999999999"

type workerFixture struct {
	w     *Worker
	pool  *pgxpool.Pool
	store *S3Store
}

func newWorkerFixture(t *testing.T) workerFixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := NewS3Store(S3Config(testenv.S3(t)))
	if err != nil {
		t.Fatal(err)
	}
	return workerFixture{pool: pool, store: store, w: &Worker{
		DB: pool, Store: store, Name: "test-worker", SigningKeys: shaderpkg.LocalDevSigningKeys(),
	}}
}

// upload stores data as an uploaded package and queues a job for it, as the page does.
func (f workerFixture) upload(t *testing.T, data []byte, newVersionOf *string) (job, key string) {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 32)
	rand.Read(b)
	key = "incoming/" + hex.EncodeToString(b) + ".zip"
	if err := f.store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/zip", SHA256Hex(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.QueryRow(ctx, `insert into public.publish_jobs (requested_by, upload_key, file_name, size, new_version_of)
		values ($1, $2, 'upload.zip', $3, $4) returning id::text`, operatorID, key, len(data), newVersionOf).Scan(&job); err != nil {
		t.Fatal(err)
	}
	return job, key
}

type jobRow struct {
	Status, Step string
	Code         *string
	Log          []logLine
}

func (f workerFixture) job(t *testing.T, id string) jobRow {
	t.Helper()
	var r jobRow
	var raw []byte
	if err := f.pool.QueryRow(context.Background(), `select status, step, error_code, log from public.publish_jobs where id = $1`, id).
		Scan(&r.Status, &r.Step, &r.Code, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r.Log); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r jobRow) problems() []string {
	var out []string
	for _, l := range r.Log {
		if l.Problem {
			out = append(out, l.Text)
		}
	}
	return out
}

// problemCodes are the codes of the problem lines, in order.
func (r jobRow) problemCodes() []string {
	var out []string
	for _, l := range r.Log {
		if l.Problem {
			out = append(out, string(l.Code))
		}
	}
	return out
}

func demoZip(t *testing.T, slug string) []byte {
	t.Helper()
	_, b := testenv.ReadDemoPackage(t, slug)
	return b
}

// A hostile package (an entry that climbs out of the package folder) is refused at validation
// with its problem line in the job's log, which carries shaderpkg's code for it (the page shows
// that code's sentence); nothing reaches the catalog and the upload is removed.
func TestWorkerRefusesHostilePackageWithItsLines(t *testing.T) {
	f := newWorkerFixture(t)
	ctx := context.Background()
	good := demoZip(t, "oak-wood")
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		if err := zw.Copy(e); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := zw.Create("../../evil.py")
	w.Write([]byte("import os\n"))
	zw.Close()

	id, key := f.upload(t, buf.Bytes(), nil)
	if ran, err := f.w.RunOne(ctx); err != nil || !ran {
		t.Fatalf("RunOne: ran=%v err=%v", ran, err)
	}
	r := f.job(t, id)
	if r.Status != "refused" || r.Step != "validate" || r.Code == nil || *r.Code != "PACKAGE_INVALID" {
		t.Fatalf("job %+v", r)
	}
	probs := r.problems()
	if len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), "evil.py") {
		t.Fatalf("problem lines %q", probs)
	}
	if got := r.problemCodes(); !slices.Equal(got, []string{string(codes.PackageExtraFile)}) {
		t.Fatalf("problem codes %q for %q", got, probs)
	}
	var n int
	f.pool.QueryRow(ctx, `select count(*) from public.shaders where slug = 'oak-wood'`).Scan(&n)
	if n != 0 {
		t.Fatal("a refused package reached the catalog")
	}
	if ok, err := f.store.Exists(ctx, key); err != nil || ok {
		t.Fatalf("the refused upload is still stored (%v)", err)
	}
	if ran, err := f.w.RunOne(ctx); err != nil || ran {
		t.Fatalf("a second RunOne found a job: ran=%v err=%v", ran, err)
	}
}

// "Publish a new version" of one shader refuses a package of another, before vetting.
func TestWorkerRefusesAnotherShaderAsNewVersion(t *testing.T) {
	f := newWorkerFixture(t)
	want := "placeholder-brushed-steel"
	id, _ := f.upload(t, demoZip(t, "oak-wood"), &want)
	if _, err := f.w.RunOne(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.job(t, id)
	if r.Status != "refused" || r.Code == nil || *r.Code != "PACKAGE_INVALID" ||
		!strings.Contains(strings.Join(r.problems(), "\n"), `the package is shader "oak-wood", not "placeholder-brushed-steel"`) ||
		!slices.Equal(r.problemCodes(), []string{string(codes.PackageInvalid)}) {
		t.Fatalf("job %+v", r)
	}
}

// A job whose upload is missing fails (the pipeline broke, not the package) and says why.
func TestWorkerFailsWithoutTheUpload(t *testing.T) {
	f := newWorkerFixture(t)
	ctx := context.Background()
	id, key := f.upload(t, []byte("x"), nil)
	if err := f.store.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	r := f.job(t, id)
	if r.Status != "failed" || r.Code == nil || *r.Code != "INTERNAL_ERROR" || len(r.problems()) != 1 {
		t.Fatalf("job %+v", r)
	}
}
