package texgen

import "math"

// Every pattern here is periodic over the unit square (integer frequencies, lattices that wrap),
// so the maps tile. Arithmetic is plain float64 with explicit float64() around products that feed
// a sum, so the compiler cannot fuse them into FMA instructions: same inputs, same bytes.

// hash mixes lattice coordinates and a seed (a 32-bit integer finaliser; no floats).
func hash(x, y int, seed uint32) uint32 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return h
}

// unit is a hash as a float in [0, 1).
func unit(h uint32) float64 { return float64(h>>8) / (1 << 24) }

func wrap(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// grads are 8 unit directions; a lattice point's hash picks one.
var grads = [8][2]float64{
	{1, 0}, {-1, 0}, {0, 1}, {0, -1},
	{0.7071067811865476, 0.7071067811865476}, {-0.7071067811865476, 0.7071067811865476},
	{0.7071067811865476, -0.7071067811865476}, {-0.7071067811865476, -0.7071067811865476},
}

func fade(t float64) float64 { return float64(t*t*t) * float64(float64(t*float64(t*6-15))+10) }

func lerp(a, b, t float64) float64 { return a + float64((b-a)*t) }

func dot(h uint32, x, y float64) float64 {
	g := grads[h&7]
	return float64(g[0]*x) + float64(g[1]*y)
}

// perlin is gradient noise at (x, y) in lattice units, periodic with px × py cells; about -0.7..0.7.
func perlin(x, y float64, px, py int, seed uint32) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	dx, dy := x-fx, y-fy
	ix, iy := wrap(int(fx), px), wrap(int(fy), py)
	ix1, iy1 := ix+1, iy+1
	if ix1 == px {
		ix1 = 0
	}
	if iy1 == py {
		iy1 = 0
	}
	a := dot(hash(ix, iy, seed), dx, dy)
	b := dot(hash(ix1, iy, seed), dx-1, dy)
	c := dot(hash(ix, iy1, seed), dx, dy-1)
	d := dot(hash(ix1, iy1, seed), dx-1, dy-1)
	u, v := fade(dx), fade(dy)
	return lerp(lerp(a, b, u), lerp(c, d, u), v)
}

// noise is fractal noise over the unit square: fx × fy cells at the first octave, each further
// octave twice as fine and rough times as strong, as Blender's Noise texture (Scale, Detail,
// Roughness). Octaves finer than the map can show (limit cells across) are left out, so every
// resolution samples the same function, band-limited. Returns 0..1, mean 0.5.
func noise(u, v float64, fx, fy, octaves int, rough float64, limit int, seed uint32) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := 0; o < octaves; o++ {
		if fx > limit || fy > limit {
			break
		}
		sum += float64(amp * perlin(float64(u*float64(fx)), float64(v*float64(fy)), fx, fy, seed+uint32(o)*7919))
		norm += amp
		amp *= rough
		fx, fy = fx*2, fy*2
	}
	if norm == 0 {
		return 0.5
	}
	return clamp01(0.5 + float64(0.9*sum)/norm)
}

// voronoi is a jittered grid of n × n cells over the unit square (wrapping). f1 and f2 are the
// distances (in cell units) to the nearest and second nearest point, id the nearest point's hash.
func voronoi(u, v float64, n int, jitter float64, seed uint32) (f1, f2 float64, id uint32) {
	x, y := float64(u*float64(n)), float64(v*float64(n))
	cx, cy := math.Floor(x), math.Floor(y)
	f1, f2 = 9, 9
	for j := -1; j <= 1; j++ {
		for i := -1; i <= 1; i++ {
			gx, gy := int(cx)+i, int(cy)+j
			h := hash(wrap(gx, n), wrap(gy, n), seed)
			px := float64(gx) + 0.5 + float64(jitter*(unit(h)-0.5))
			py := float64(gy) + 0.5 + float64(jitter*(unit(hash(int(h), 1, seed))-0.5))
			ddx, ddy := px-x, py-y
			d := math.Sqrt(float64(ddx*ddx) + float64(ddy*ddy))
			if d < f1 {
				f1, f2, id = d, f1, h
			} else if d < f2 {
				f2 = d
			}
		}
	}
	return f1, f2, id
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

func smoothstep(a, b, x float64) float64 {
	t := clamp01((x - a) / (b - a))
	return float64(t*t) * (3 - float64(2*t))
}

// freq is a pattern scale as a whole number of repeats across the tile (at least 1), so it tiles.
func freq(s float64) int {
	n := int(math.Round(s))
	if n < 1 {
		return 1
	}
	return n
}

func mixc(a, b [3]float64, t float64) [3]float64 {
	return [3]float64{lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)}
}

func scalec(a [3]float64, k float64) [3]float64 { return [3]float64{a[0] * k, a[1] * k, a[2] * k} }

func frac(x float64) float64 { return x - math.Floor(x) }
