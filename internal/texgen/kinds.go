package texgen

import (
	"fmt"
	"math"
)

// texel is one point of a material's surface: the map values before encoding.
type texel struct {
	col    [3]float64 // base colour, sRGB 0..1
	rough  float64    // 0..1 between Tex.Rough[0] and Tex.Rough[1]
	height float64    // 0..1, high is raised
	metal  float64    // 0..1 bare metal (metal-mask materials only)
}

// sampler evaluates a pattern at (u, v) in the unit square.
type sampler func(u, v float64) texel

// Kinds are the pattern families a catalog material's "tex" may name (ported from the Blender
// node networks the catalog used to bake: same colours, scales and ranges; tiling now).
var Kinds = []string{
	"bands", "brick", "brushed", "camo", "cobble", "concrete", "fibres", "flakes", "hammered", "knit",
	"lava", "leather", "marble", "patina", "planks", "rust", "speckle", "stipple", "strata", "tiles",
	"twill", "wood", "weave",
}

// sampler builds the pattern of t for a map of size × size pixels: limit is the finest cell count
// across the tile that the size can show (finer octaves are left out, as a mipmap would).
func (t Tex) sampler(size int) (sampler, error) {
	c := t.Colors
	need := map[string]int{"brick": 3, "tiles": 3, "camo": 4}[t.Kind]
	if need == 0 {
		need = 2
	}
	if len(c) < need {
		return nil, fmt.Errorf("texgen: kind %q needs %d colours, has %d", t.Kind, need, len(c))
	}
	s := t.Scale
	limit := size / 3
	seed := uint32(0)
	for _, r := range t.Kind {
		seed = seed*31 + uint32(r)
	}
	nz := func(u, v, sx, sy float64, oct int, rough float64, k uint32) float64 {
		return noise(u, v, freq(sx), freq(sy), oct, rough, limit, seed+k)
	}
	// aa is the width of a hard edge in cell units at this size (one pixel), so edges never alias.
	aa := func(cells float64) float64 { return cells / float64(size) }
	switch t.Kind {
	case "brushed":
		return func(u, v float64) texel {
			// Streaks along u: fine across (40 per pattern repeat, visible from 1k up), long along.
			n := nz(u, v, s, s*40, 10, 0.6, 1)
			fine := nz(u, v, s*6, s*100, 4, 0.5, 2)
			x := clamp01(float64(n*0.7) + fine - 0.35)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: x}
		}, nil
	case "patina", "rust":
		oct, lo, hi := 8, 0.5, 0.6
		if t.Kind == "rust" {
			oct, lo, hi = 12, 0.47, 0.62
		}
		return func(u, v float64) texel {
			w := nz(u, v, s*2, s*2, 3, 0.5, 3) - 0.5
			n := nz(u+float64(0.15*w), v+float64(0.15*w), s*2, s*2, oct, 0.62, 1)
			mask := smoothstep(lo, hi, n)
			speck := nz(u, v, s*24, s*24, 3, 0.5, 2)
			crust := mixc(c[1], scalec(c[1], 0.7), speck)
			return texel{col: mixc(c[0], crust, mask), rough: mask, height: float64(0.6*mask) + float64(0.4*n), metal: 1 - mask}
		}, nil
	case "hammered":
		n := freq(s)
		return func(u, v float64) texel {
			f1, _, _ := voronoi(u, v, n, 0.9, seed)
			x := math.Pow(clamp01(f1/0.8), 0.6)
			return texel{col: mixc(c[1], c[0], x), rough: x, height: x}
		}, nil
	case "marble":
		width := t.VeinWidth
		if width == 0 {
			width = 0.02
		}
		cloud := 0.08
		k := freq(s)
		return func(u, v float64) texel {
			warp := nz(u, v, s, s, 6, 0.55, 1)
			w := 0.5 + 0.5*math.Sin(2*math.Pi*(float64(float64(u+v)*float64(k))+float64(1.5*warp)))
			vein := math.Max(1-w/width, (w-(1-width))/width)
			vein = math.Max(vein, 0)
			x := math.Min(1, float64(nz(u, v, s*4, s*4, 8, 0.55, 2)*cloud)+vein)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: 1 - float64(0.5*x)}
		}, nil
	case "bands":
		// A heat tint runs across the whole part, bottom to top: the one pattern that does not tile.
		return func(u, v float64) texel {
			n := nz(u, v, 6, 6, 3, 0.5, 1)
			x := clamp01(v + float64(0.3*n) - 0.15)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: 0.5}
		}, nil
	case "stipple":
		return func(u, v float64) texel {
			x := smoothstep(0.35, 0.65, nz(u, v, s, s, 2, 0.5, 1))
			return texel{col: mixc(c[0], c[1], x), rough: x, height: x}
		}, nil
	case "twill", "weave", "knit":
		n := float64(freq(s))
		return func(u, v float64) texel {
			gu, gv := float64(u*n), float64(v*n)
			i, j := int(math.Floor(gu)), int(math.Floor(gv))
			fu, fv := gu-math.Floor(gu), gv-math.Floor(gv)
			var x float64
			switch t.Kind {
			case "knit":
				// Stitches: a V of two loops per cell, columns side by side.
				d := math.Abs(fu - 0.5)
				x = math.Sin(math.Pi * frac(float64(fv*1)+float64(d*1.2)))
				x = float64(x*math.Sin(math.Pi*fu)) * 0.9
			default:
				over := (i+j)&1 == 0 // plain weave
				if t.Kind == "twill" {
					over = wrap(i+j, 4) < 2 // over two, under two, stepping each row: the diagonal
				}
				if over {
					x = math.Sin(math.Pi * fv) // thread along u: rounded across v
				} else {
					x = float64(0.8 * math.Sin(math.Pi*fu))
				}
			}
			fuzz := nz(u, v, s*4, s*4, 4, 0.5, 1)
			x = clamp01(float64(fuzz*0.25) + x - 0.12)
			return texel{col: mixc(c[1], c[0], x), rough: x, height: x}
		}, nil
	case "wood", "fibres":
		rings, warpAmp, sy := float64(freq(s*6)), 1.5, 0.12
		if t.Kind == "fibres" {
			rings, warpAmp, sy = float64(freq(s*8)), 0.25, 0.05
		}
		return func(u, v float64) texel {
			warp := nz(u, v, s, s*sy, 6, 0.55, 1) - 0.5
			w := 0.5 + 0.5*math.Sin(2*math.Pi*(float64(u*rings)+float64(warpAmp*warp*4)))
			fine := nz(u, v, s*40, s*1.2, 6, 0.55, 2)
			x := math.Pow(clamp01(float64(fine*0.45)+w-0.2), 1.6)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: 1 - float64(0.6*x)}
		}, nil
	case "planks":
		rows := freq(s * 4)
		per := freq(s / 2)
		gap := 0.012 * float64(rows)
		return func(u, v float64) texel {
			row := int(math.Floor(v * float64(rows)))
			pu := frac(u + float64(0.37*float64(row)))
			col := int(math.Floor(pu * float64(per)))
			tint := 0.7 + float64(0.3*unit(hash(col, row, seed)))
			fx, fy := frac(pu*float64(per)), frac(v*float64(rows))
			edge := math.Min(math.Min(fx, 1-fx)/float64(per), math.Min(fy, 1-fy)/float64(rows))
			m := 1 - smoothstep(gap/float64(rows)*0.5, gap/float64(rows)*0.5+aa(1), edge)
			grain := 0.5 + 0.5*math.Sin(2*math.Pi*(float64(v*float64(rows*6))+float64(3*nz(u, v, s, s*10, 4, 0.5, 1))))
			wood := scalec(mixc(c[0], scalec(c[0], 0.85), grain), tint)
			x := math.Min(1, float64(grain*0.3)+m)
			return texel{col: mixc(wood, c[1], m), rough: x, height: (1 - m) * (1 - float64(0.15*grain))}
		}, nil
	case "speckle":
		n := freq(s)
		mid1, mid2 := [3]float64{0.45, 0.43, 0.42}, [3]float64{0.55, 0.52, 0.5}
		return func(u, v float64) texel {
			_, _, id := voronoi(u, v, n, 1, seed)
			r := unit(id)
			col := c[1]
			switch {
			case r < 0.35:
				col = c[0]
			case r < 0.55:
				col = mid1
			case r < 0.75:
				col = mid2
			}
			x := nz(u, v, s/6, s/6, 4, 0.5, 1)
			return texel{col: col, rough: x, height: x}
		}, nil
	case "concrete":
		pits := freq(s * 12)
		return func(u, v float64) texel {
			n := nz(u, v, s*2, s*2, 14, 0.62, 1)
			f1, _, _ := voronoi(u, v, pits, 1, seed)
			p := smoothstep(0, 0.08*4, f1)
			x := smoothstep(0.25, 0.75, float64(n*p))
			return texel{col: mixc(c[0], c[1], x), rough: x, height: x}
		}, nil
	case "brick", "tiles":
		rows, per, mortar, offset := freq(s*4), freq(s*2), 0.02*4, 0.5
		if t.Kind == "tiles" {
			rows, per, mortar, offset = freq(s*2), freq(s*2), 0.015*2, 0
		}
		return func(u, v float64) texel {
			row := int(math.Floor(v * float64(rows)))
			pu := frac(u + float64(offset*float64(row&1))/float64(per))
			col := int(math.Floor(pu * float64(per)))
			fx, fy := frac(pu*float64(per)), frac(v*float64(rows))
			// Distance to the joint in row heights, so the mortar is as wide across as along.
			edge := math.Min(float64(math.Min(fx, 1-fx)*float64(rows))/float64(per), math.Min(fy, 1-fy))
			m := 1 - smoothstep(mortar*0.5, mortar*0.5+mortar*0.6+aa(float64(rows)), edge)
			r := unit(hash(col, row, seed))
			face := mixc(c[0], c[1], r)
			n := nz(u, v, s*24, s*24, 6, 0.5, 1)
			face = mixc(face, scalec(face, 0.5+n), 0.25)
			x := math.Min(1, float64(n*0.15)+m)
			return texel{col: mixc(face, c[2], m), rough: x, height: float64((1-m)*0.85) + float64(0.15*n)}
		}, nil
	case "strata":
		layers := float64(freq(s * 2))
		return func(u, v float64) texel {
			warp := nz(u, v, s/2, s/2, 6, 0.55, 1) - 0.5
			w := 0.5 + 0.5*math.Sin(2*math.Pi*(float64(v*layers)+float64(3*warp)))
			n := nz(u, v, s*12, s*12, 8, 0.55, 2)
			x := clamp01(float64(n*0.4) + w - 0.2)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: 1 - float64(0.5*x)}
		}, nil
	case "cobble", "leather":
		n := freq(s)
		return func(u, v float64) texel {
			f1, f2, _ := voronoi(u, v, n, 1, seed)
			e := float64(f2-f1) * 0.5 // distance to the cell's edge, in cells
			if t.Kind == "cobble" {
				edge := 1 - smoothstep(0, 0.12, e)
				nn := nz(u, v, s*15, s*15, 8, 0.55, 1)
				stone := mixc(c[0], scalec(c[0], 0.8), nn)
				dome := math.Sqrt(smoothstep(0, 0.35, e))
				return texel{col: mixc(stone, c[1], edge), rough: edge, height: float64(0.9*dome) + float64(0.1*nn)}
			}
			crease := 1 - smoothstep(0, 0.15, e)
			nn := nz(u, v, s/8*3, s/8*3, 6, 0.5, 1)
			x := math.Min(1, float64(nn*0.3)+crease)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: float64(0.8*(1-crease)) + float64(0.2*nn)}
		}, nil
	case "flakes":
		n := freq(s)
		return func(u, v float64) texel {
			_, _, id := voronoi(u, v, n, 1, seed)
			x := math.Pow(unit(id), 4)
			return texel{col: mixc(c[0], c[1], x), rough: x, height: 0.5}
		}, nil
	case "lava":
		cells := freq(s * 1.5)
		return func(u, v float64) texel {
			w := nz(u, v, s, s, 3, 0.5, 3) - 0.5
			n := nz(u+float64(0.1*w), v+float64(0.1*w), s*2, s*2, 10, 0.6, 1)
			f1, f2, _ := voronoi(u, v, cells, 1, seed)
			crack := 1 - smoothstep(0, 0.08, float64(f2-f1)*0.5)
			hot := smoothstep(0.5, 0.62, n)
			glow := math.Min(1, math.Max(crack, hot))
			return texel{col: mixc(c[0], c[1], glow), rough: 1 - glow, height: 1 - glow}
		}, nil
	case "camo":
		return func(u, v float64) texel {
			w := nz(u, v, s, s, 2, 0.5, 3) - 0.5
			n := nz(u+float64(0.1*w), v+float64(0.1*w), s*2, s*2, 3, 0.5, 1)
			col := c[3]
			switch {
			case n < 0.42:
				col = c[0]
			case n < 0.52:
				col = c[1]
			case n < 0.6:
				col = c[2]
			}
			return texel{col: col, rough: n, height: n}
		}, nil
	}
	return nil, fmt.Errorf("texgen: unknown texture kind %q", t.Kind)
}
