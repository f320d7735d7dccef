package texgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func catalog(t testing.TB) Catalog {
	t.Helper()
	root := testenv.Root(t)
	c, err := ReadCatalog(filepath.Join(root, "catalog", "materials.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// Every textured material of the catalog renders every map it lists, decodable at the size asked.
func TestEveryCatalogMaterialRenders(t *testing.T) {
	textured := 0
	for _, m := range catalog(t).Materials {
		if m.Tex == nil {
			if m.Files() != nil {
				t.Errorf("%s: untextured but lists maps %v", m.ID, m.Files())
			}
			continue
		}
		textured++
		if !slices.Contains(Kinds, m.Tex.Kind) {
			t.Errorf("%s: kind %q is not in Kinds", m.ID, m.Tex.Kind)
		}
		fs, err := Generate(m, 32)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range m.Files() {
			img, _, err := image.Decode(bytes.NewReader(fs[name]))
			if err != nil {
				t.Fatalf("%s %s: %v", m.ID, name, err)
			}
			if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
				t.Errorf("%s %s: %v", m.ID, name, b)
			}
		}
		if len(fs) != len(m.Files()) {
			t.Errorf("%s: %d maps, lists %d", m.ID, len(fs), len(m.Files()))
		}
	}
	if textured < 30 {
		t.Fatalf("only %d textured materials", textured)
	}
}

// At the smallest size shipped, every pattern still shows (band-limiting drops octaves finer
// than the map can hold; a pattern made only of those would come out flat).
func TestPatternsShowAt1k(t *testing.T) {
	for _, m := range catalog(t).Materials {
		if m.Tex == nil {
			continue
		}
		f, err := m.Tex.sampler(1024)
		if err != nil {
			t.Fatal(err)
		}
		var lo, hi [3]float64 // colour, roughness, height
		for k := range lo {
			lo[k], hi[k] = math.Inf(1), math.Inf(-1)
		}
		for i := 0; i < 4096; i++ {
			p := f(float64(i%64)/64+0.003, float64(i/64)/64+0.007)
			for k, l := range [3]float64{p.col[0] + p.col[1] + p.col[2], p.rough, p.height} {
				lo[k], hi[k] = math.Min(lo[k], l), math.Max(hi[k], l)
			}
		}
		if hi[0]-lo[0] < 0.03 && hi[1]-lo[1] < 0.03 && hi[2]-lo[2] < 0.03 {
			t.Errorf("%s: flat at 1k (colour, roughness, height from %v to %v)", m.ID, lo, hi)
		}
	}
}

// Same description, same size → same bytes; and the bytes are the ones this code has always
// made (the committed catalog's manifests hold the sha256 of the sets built from them).
func TestDeterministicAndGolden(t *testing.T) {
	m, _ := catalog(t).Find("red-brick")
	a, err := Generate(m, 64)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(m, 64)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	golden := map[string]string{
		Albedo:    "37a7e2b3d2303b114910774e1b08ab1ba5762541fb8d672d732d41314e8b54f0",
		Normal:    "ce8cd13c6dae62fbe5887e8d00d322ae9cf57fff05afca14eddeae35e2d20765",
		Height:    "6fddade9332af0c85eca17aed4b8a9b873f2c5e36aecce5b4c949f42106c504b",
		Roughness: "dce6a5522d4ddd303d67b4539e912020adbd0df5d17a1bb2e283ba7cfe82994d",
		AO:        "2a670cc81e6a9f344be21a516068dab0a2d45cf521789e8f4461a1203616af95",
	}
	for name, want := range golden {
		if got := sum(a[name]); got != want {
			t.Errorf("%s: sha256 %s, want %s", name, got, want)
		}
	}
}

// The maps tile: the left column continues the right one, the top row the bottom one.
func TestMapsTile(t *testing.T) {
	for _, id := range []string{"oak-wood", "red-brick", "cobblestone", "denim", "rusted-iron"} {
		m, _ := catalog(t).Find(id)
		f, err := m.Tex.sampler(512)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 16; i++ {
			p := float64(i)/16 + 0.01
			a, b := f(0, p), f(1, p)
			c, d := f(p, 0), f(p, 1)
			if !near(a, b) || !near(c, d) {
				t.Errorf("%s: does not tile at %.3f: %+v %+v / %+v %+v", id, p, a, b, c, d)
			}
		}
	}
}

// near: equal but for float rounding (lattice coordinates u·n and (u+1)·n round differently).
func near(a, b texel) bool {
	d := math.Abs(a.rough-b.rough) + math.Abs(a.height-b.height) + math.Abs(a.metal-b.metal)
	for i := range a.col {
		d += math.Abs(a.col[i] - b.col[i])
	}
	return d < 1e-9
}

func TestResolutionPixels(t *testing.T) {
	for res, want := range map[string]int{"1k": 1024, "2k": 2048, "4k": 4096} {
		if got, err := Pixels(res); err != nil || got != want {
			t.Errorf("%s: %d %v", res, got, err)
		}
	}
	for _, bad := range []string{"", "k", "0k", "4K", "4096", "17k"} {
		if _, err := Pixels(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkGenerate4k times one material's 4k maps (run by make bench; see docs/packages.md).
func BenchmarkGenerate4k(b *testing.B) {
	c := catalog(b)
	for _, id := range []string{"oak-wood", "raw-concrete", "red-brick"} {
		m, _ := c.Find(id)
		b.Run(id, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fs, err := Generate(m, 4096)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for _, f := range fs {
					n += len(f)
				}
				b.ReportMetric(float64(n)/1e6, "MB")
			}
		})
	}
}
