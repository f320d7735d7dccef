// Package preview derives the catalog grid's preview renditions from a package's preview.webp.
// It is the one contract for their names and sizes: the publisher writes exactly what Renditions
// returns under the keys RenditionKey gives, and the site (frontend/lib/catalog.ts,
// previewSources) builds its srcset from the same widths. See docs/packages.md, "Previews".
package preview

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Widths are the nominal widths of the JPEG renditions written beside every preview, smallest
// first. Changing them changes the site's srcset (frontend/lib/catalog.ts, PREVIEW_WIDTHS) too.
var Widths = []int{384, 768}

// MaxSide bounds the preview's sides before anything is decoded: a 1024 px render is the norm,
// and a hostile header must not make the publisher allocate gigabytes.
const MaxSide = 4096

// JPEGQuality is the renditions' encoder quality (stdlib image/jpeg).
const JPEGQuality = 82

// ErrInvalid marks a preview that cannot be turned into renditions (not a WebP, empty, too large).
var ErrInvalid = errors.New("invalid preview")

// Rendition is one derived image.
type Rendition struct {
	Width  int    // nominal width: the name in the key and the w descriptor in the site's srcset
	W, H   int    // actual pixels: never larger than the source (no upscaling)
	Suffix string // "-384.jpg"
	Data   []byte // JPEG
}

// ContentType of every rendition.
const ContentType = "image/jpeg"

// RenditionKey is the object key of a rendition: the preview key without ".webp" plus
// "-<width>.jpg", e.g. previews/oak-wood/1.0.0.webp -> previews/oak-wood/1.0.0-384.jpg.
func RenditionKey(previewKey string, width int) string {
	return strings.TrimSuffix(previewKey, ".webp") + suffix(width)
}

func suffix(width int) string { return "-" + strconv.Itoa(width) + ".jpg" }

// Config reads the WebP header only: the preview's size, or an error wrapping ErrInvalid.
func Config(webpData []byte) (image.Config, error) {
	if len(webpData) == 0 {
		return image.Config{}, fmt.Errorf("%w: preview.webp is empty", ErrInvalid)
	}
	cfg, err := webp.DecodeConfig(bytes.NewReader(webpData))
	if err != nil {
		return image.Config{}, fmt.Errorf("%w: preview.webp is not a readable WebP image: %v", ErrInvalid, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
		return image.Config{}, fmt.Errorf("%w: preview.webp is %d×%d; each side must be 1..%d px", ErrInvalid, cfg.Width, cfg.Height, MaxSide)
	}
	return cfg, nil
}

// Renditions decodes a WebP preview and returns one JPEG per entry of Widths, in that order.
// Every name always exists, so the site needs no per-shader list of sizes; a rendition is never
// wider than the source: from a 384 px preview, -384.jpg and -768.jpg are the same 384 px image.
// The aspect ratio is kept; transparency is flattened onto white (JPEG has no alpha).
// The output is deterministic: the same bytes in give the same bytes out.
func Renditions(webpData []byte) ([]Rendition, error) {
	if _, err := Config(webpData); err != nil {
		return nil, err
	}
	src, err := webp.Decode(bytes.NewReader(webpData))
	if err != nil {
		return nil, fmt.Errorf("%w: preview.webp does not decode: %v", ErrInvalid, err)
	}
	sb := src.Bounds()
	var out []Rendition
	cache := map[[2]int][]byte{} // several nominal widths may clamp to the same size
	for _, width := range Widths {
		w, h := sb.Dx(), sb.Dy()
		if width < w {
			// Round to the nearest pixel, at least 1.
			w, h = width, max(1, (sb.Dy()*width+sb.Dx()/2)/sb.Dx())
		}
		data, ok := cache[[2]int{w, h}]
		if !ok {
			if data, err = encode(src, w, h); err != nil {
				return nil, fmt.Errorf("preview rendition %d: %w", width, err)
			}
			cache[[2]int{w, h}] = data
		}
		out = append(out, Rendition{Width: width, W: w, H: h, Suffix: suffix(width), Data: data})
	}
	return out, nil
}

func encode(src image.Image, w, h int) ([]byte, error) {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	sb := src.Bounds()
	if sb.Dx() == w && sb.Dy() == h {
		draw.Draw(dst, dst.Bounds(), src, sb.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Over, nil)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
