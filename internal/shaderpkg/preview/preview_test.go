package preview

import (
	"bytes"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check decodes every rendition and compares its pixels with the wanted sizes.
func check(t *testing.T, rs []Rendition, want [][2]int) {
	t.Helper()
	if len(rs) != len(Widths) || len(want) != len(Widths) {
		t.Fatalf("%d renditions, want %d", len(rs), len(Widths))
	}
	for i, r := range rs {
		if r.Width != Widths[i] || r.Suffix != "-"+strconv.Itoa(Widths[i])+".jpg" {
			t.Errorf("rendition %d: width %d suffix %q", i, r.Width, r.Suffix)
		}
		img, err := jpeg.Decode(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("rendition %d is not a JPEG: %v", r.Width, err)
		}
		b := img.Bounds()
		if b.Dx() != want[i][0] || b.Dy() != want[i][1] || r.W != want[i][0] || r.H != want[i][1] {
			t.Errorf("rendition %d: %d×%d (says %d×%d), want %d×%d", r.Width, b.Dx(), b.Dy(), r.W, r.H, want[i][0], want[i][1])
		}
	}
}

func TestRenditionsFrom1024(t *testing.T) {
	rs, err := Renditions(fixture(t, "preview-1024.webp"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, rs, [][2]int{{384, 384}, {768, 768}})
	if bytes.Equal(rs[0].Data, rs[1].Data) {
		t.Fatal("384 and 768 renditions are the same bytes")
	}
}

// A 384 px preview is never upscaled: both names exist and hold the same 384 px image.
func TestRenditionsNeverUpscale(t *testing.T) {
	rs, err := Renditions(fixture(t, "preview-384.webp"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, rs, [][2]int{{384, 384}, {384, 384}})
	if !bytes.Equal(rs[0].Data, rs[1].Data) {
		t.Fatal("a 384 px source gave two different renditions")
	}
	// Smaller than every width (and a lossless VP8L file): kept at its own size.
	rs, err = Renditions(fixture(t, "preview-lossless-96.webp"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, rs, [][2]int{{96, 96}, {96, 96}})
}

func TestRenditionsAreDeterministic(t *testing.T) {
	in := fixture(t, "preview-1024.webp")
	a, err := Renditions(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Renditions(bytes.Clone(in))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("rendition %d differs between two runs on the same input", a[i].Width)
		}
	}
}

func TestRenditionsRefuseBadInput(t *testing.T) {
	good := fixture(t, "preview-384.webp")
	truncated := good[:len(good)/2]
	huge := bytes.Clone(good)
	// VP8 frame header: width and height (14 bits each) follow the start code 9d 01 2a.
	i := bytes.Index(huge, []byte{0x9d, 0x01, 0x2a})
	if i < 0 {
		t.Fatal("fixture has no VP8 key frame header")
	}
	huge[i+3], huge[i+4] = 0xff, 0x3f // 16383 px wide
	for name, in := range map[string][]byte{
		"empty":     nil,
		"not webp":  []byte("\x89PNG\r\n\x1a\n not a webp at all"),
		"fake webp": []byte("RIFF0000WEBPVP8 oak-wood"),
		"truncated": truncated,
		"too large": huge,
	} {
		_, err := Renditions(in)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "preview.webp") {
			t.Errorf("%s: got %v, want an ErrInvalid naming preview.webp", name, err)
		}
	}
}

func TestRenditionKey(t *testing.T) {
	if got := RenditionKey("previews/oak-wood/1.0.0.webp", 384); got != "previews/oak-wood/1.0.0-384.jpg" {
		t.Fatal(got)
	}
	if got := RenditionKey("previews/oak-wood/1.0.0.webp", 768); got != "previews/oak-wood/1.0.0-768.jpg" {
		t.Fatal(got)
	}
}
