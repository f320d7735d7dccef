// Package texgen generates a demo material's PBR texture maps (base colour, roughness, normal,
// height, metallic where the metal is masked, AO where the relief shadows itself) at any
// resolution from one resolution-independent description: the "tex" of the material in
// catalog/materials.json. Same description and size → same bytes (no Blender, no randomness).
package texgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Tex is a material's procedural description (catalog/materials.json "tex").
type Tex struct {
	Kind      string       `json:"kind"`
	Colors    [][3]float64 `json:"colors"` // sRGB 0..1
	Scale     float64      `json:"scale"`  // pattern repeats across one tile
	Rough     [2]float64   `json:"rough"`  // roughness range
	Bump      float64      `json:"bump"`   // relief: 0 flat .. 1 deep
	MetalMask bool         `json:"metal_mask,omitempty"`
	VeinWidth float64      `json:"vein_width,omitempty"`
	// EmitFromAlbedo is read by the Blender build (the base colour also glows).
	EmitFromAlbedo bool `json:"emit_from_albedo,omitempty"`
}

// Material is the part of a catalog entry the generator reads.
type Material struct {
	ID       string  `json:"id"`
	Metallic float64 `json:"metallic"`
	Tex      *Tex    `json:"tex"`
	// Depth is the catalog's ReliefDepth (set by ReadCatalog).
	Depth float64 `json:"-"`
}

// Catalog is catalog/materials.json.
type Catalog struct {
	// ReliefDepth is the height span, in tile widths, of a material with bump 1: what a height
	// of 1 means to the normal map here and to the displacement the Blender build wires.
	ReliefDepth float64    `json:"relief_depth"`
	Materials   []Material `json:"materials"`
}

// ReadCatalog reads catalog/materials.json (extra fields are the Blender build's).
func ReadCatalog(path string) (Catalog, error) {
	var c Catalog
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if c.ReliefDepth <= 0 || c.ReliefDepth > 1 {
		return c, fmt.Errorf("%s: relief_depth %v is not in (0, 1]", path, c.ReliefDepth)
	}
	for i := range c.Materials {
		c.Materials[i].Depth = c.ReliefDepth
	}
	return c, nil
}

// Find is the material with id.
func (c Catalog) Find(id string) (Material, bool) {
	for _, m := range c.Materials {
		if m.ID == id {
			return m, true
		}
	}
	return Material{}, false
}

// Map file names: the same in every resolution of a material.
const (
	Albedo    = "albedo.jpg"
	Roughness = "roughness.jpg"
	Normal    = "normal.png"
	Height    = "height.png"
	Metallic  = "metallic.jpg"
	AO        = "ao.jpg"
)

// aoBump is the relief from which a surface shadows its own crevices enough for an AO map.
const aoBump = 0.3

// Files are the map names a material has (none for an untextured one), sorted.
func (m Material) Files() []string {
	if m.Tex == nil {
		return nil
	}
	f := []string{Albedo, Roughness}
	if m.Tex.Bump > 0 {
		f = append(f, Normal, Height)
	}
	if m.Tex.MetalMask {
		f = append(f, Metallic)
	}
	if m.Tex.Bump >= aoBump && (m.Metallic < 1 || m.Tex.MetalMask) {
		f = append(f, AO) // bare metal has no diffuse for AO to darken
	}
	sort.Strings(f)
	return f
}

// Resolutions the demo catalog ships, smallest first.
var Resolutions = []string{"1k", "2k", "4k"}

// Pixels is a resolution's edge length ("2k" → 2048).
func Pixels(res string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(res, "k"))
	if err != nil || !strings.HasSuffix(res, "k") || n < 1 || n > 16 {
		return 0, fmt.Errorf("texgen: resolution %q is not 1k..16k", res)
	}
	return n * 1024, nil
}

// Generate renders the material's maps at size × size: file name → encoded bytes.
func Generate(m Material, size int) (map[string][]byte, error) {
	if m.Tex == nil {
		return nil, fmt.Errorf("texgen: %s has no texture description", m.ID)
	}
	if m.Depth <= 0 {
		return nil, fmt.Errorf("texgen: %s has no relief depth (read it with ReadCatalog)", m.ID)
	}
	if size < 8 || size > 16384 {
		return nil, fmt.Errorf("texgen: size %d out of range", size)
	}
	f, err := m.Tex.sampler(size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.ID, err)
	}
	px := make([]texel, size*size)
	parallel(size, func(y int) {
		v := 1 - (float64(y)+0.5)/float64(size) // row 0 is the top of the image: v = 1
		for x := 0; x < size; x++ {
			px[y*size+x] = f((float64(x)+0.5)/float64(size), v)
		}
	})
	files := m.Files()
	out := make(map[string][]byte, len(files))
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for _, name := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := encode(name, m, px, size)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[name] = b
		}()
	}
	wg.Wait()
	return out, firstErr
}

// parallel runs row(y) for every row on all cores; rows are independent, so order cannot matter.
func parallel(rows int, row func(y int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int, rows)
	for y := 0; y < rows; y++ {
		next <- y
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := range next {
				row(y)
			}
		}()
	}
	wg.Wait()
}

func q8(x float64) uint8 { return uint8(math.Floor(clamp01(x)*255 + 0.5)) }

func encode(name string, m Material, px []texel, size int) ([]byte, error) {
	t := m.Tex
	rect := image.Rect(0, 0, size, size)
	var buf bytes.Buffer
	grey := func(val func(texel) float64) error {
		img := image.NewGray(rect)
		for i, p := range px {
			img.Pix[i] = q8(val(p))
		}
		return jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	}
	var err error
	switch name {
	case Albedo:
		img := image.NewRGBA(rect)
		for i, p := range px {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = q8(p.col[0]), q8(p.col[1]), q8(p.col[2]), 255
		}
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case Roughness:
		err = grey(func(p texel) float64 { return lerp(t.Rough[0], t.Rough[1], p.rough) })
	case Metallic:
		err = grey(func(p texel) float64 { return p.metal })
	case AO:
		ao := occlusion(px, size)
		img := image.NewGray(rect)
		for i := range px {
			img.Pix[i] = q8(ao[i])
		}
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case Height:
		// 8 bits: the deepest relief (bump 1) is relief_depth of a tile (2 cm on a 1 m tile), so a
		// step is under 0.1 mm.
		img := image.NewGray(rect)
		for i, p := range px {
			img.Pix[i] = q8(p.height)
		}
		err = encoder.Encode(&buf, img)
	case Normal:
		img := image.NewNRGBA(rect)
		// Slope in tile units: height (0..1) times the relief depth, over one pixel (1/size).
		k := float64(t.Bump*m.Depth) * float64(size) / 2
		h := func(x, y int) float64 { return px[wrap(y, size)*size+wrap(x, size)].height }
		parallel(size, func(y int) {
			for x := 0; x < size; x++ {
				dx := float64(h(x+1, y)-h(x-1, y)) * k
				dy := float64(h(x, y-1)-h(x, y+1)) * k // up the image is +v
				l := math.Sqrt(float64(dx*dx) + float64(dy*dy) + 1)
				o := 4 * (y*size + x)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] =
					q8(0.5-0.5*dx/l), q8(0.5-0.5*dy/l), q8(0.5+0.5/l), 255 // OpenGL (+Y) tangent space
			}
		})
		err = encoder.Encode(&buf, img)
	default:
		err = fmt.Errorf("texgen: no map %q", name)
	}
	return buf.Bytes(), err
}

// encoder writes PNGs fast: the maps are noisy, so harder compression buys little.
var encoder = png.Encoder{CompressionLevel: png.BestSpeed}

// occlusion is a cavity AO: how far each point sits below the average height around it (a
// window 1/64 of the tile wide at every size, so all resolutions darken the same places).
func occlusion(px []texel, size int) []float64 {
	r := size / 128
	if r < 1 {
		r = 1
	}
	h := make([]float64, len(px))
	for i, p := range px {
		h[i] = p.height
	}
	blur := boxBlur(boxBlur(h, size, r, true), size, r, false)
	ao := make([]float64, len(px))
	for i := range ao {
		ao[i] = 1 - clamp01(float64((blur[i]-h[i])*2.5))
	}
	return ao
}

// boxBlur averages each row (or column) over a wrapping window of 2r+1 pixels.
func boxBlur(in []float64, size, r int, rows bool) []float64 {
	out := make([]float64, len(in))
	at := func(line, i int) int {
		if rows {
			return line*size + wrap(i, size)
		}
		return wrap(i, size)*size + line
	}
	n := float64(2*r + 1)
	parallel(size, func(line int) {
		sum := 0.0
		for i := -r; i <= r; i++ {
			sum += in[at(line, i)]
		}
		for i := 0; i < size; i++ {
			out[at(line, i)] = sum / n
			sum += in[at(line, i+r+1)] - in[at(line, i-r)]
		}
	})
	return out
}
