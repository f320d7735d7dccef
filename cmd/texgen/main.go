// Command texgen writes the demo catalog's texture maps (internal/texgen).
//
//	texgen maps [-catalog catalog/materials.json] [-res 1k,2k,4k] [-only id,id] -out DIR
//	    DIR/<id>/textures/<res>/<maps> for every textured material: the package source
//	    folders catalog/generate.py builds the .blend files in and packs.
//	texgen sets [-catalog catalog/materials.json] [CATALOG_DIR]
//	    the texture set zips the committed manifests of CATALOG_DIR (default catalog/demo) list
//	    and the folder lacks, generated and checked against the manifests' sha256.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/internal/atomicfile"
	"github.com/octanebridge/octane-bridge/internal/texgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "texgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: texgen maps|sets [flags]")
	}
	fl := flag.NewFlagSet("texgen "+args[0], flag.ContinueOnError)
	cat := fl.String("catalog", filepath.Join("catalog", "materials.json"), "the catalog's material descriptions")
	switch args[0] {
	case "maps":
		out := fl.String("out", "", "folder of package source folders")
		res := fl.String("res", strings.Join(texgen.Resolutions, ","), "resolutions")
		only := fl.String("only", "", "comma-separated material ids (default: all textured)")
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("maps: -out is required")
		}
		c, err := texgen.ReadCatalog(*cat)
		if err != nil {
			return err
		}
		return writeMaps(c, *out, split(*res), split(*only), stdout)
	case "sets":
		if err := fl.Parse(args[1:]); err != nil {
			return err
		}
		dir := filepath.Join("catalog", "demo")
		if fl.NArg() > 0 {
			dir = fl.Arg(0)
		}
		c, err := texgen.ReadCatalog(*cat)
		if err != nil {
			return err
		}
		return writeSets(c, dir, stdout)
	}
	return fmt.Errorf("unknown command %q (maps, sets)", args[0])
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// writeMaps writes out/<id>/textures/<res>/<maps> for the textured materials (of only, if given).
func writeMaps(c texgen.Catalog, out string, resolutions, only []string, stdout io.Writer) error {
	want := map[string]bool{}
	for _, id := range only {
		if _, ok := c.Find(id); !ok {
			return fmt.Errorf("no material %q in the catalog", id)
		}
		want[id] = true
	}
	for _, m := range c.Materials {
		if m.Tex == nil || (len(want) > 0 && !want[m.ID]) {
			continue
		}
		for _, res := range resolutions {
			t := time.Now()
			size, err := texgen.Pixels(res)
			if err != nil {
				return err
			}
			maps, err := texgen.Generate(m, size)
			if err != nil {
				return err
			}
			dir := filepath.Join(out, m.ID, "textures", res)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			n := 0
			for name, b := range maps {
				if err := atomicfile.Write(filepath.Join(dir, name), b, 0o644); err != nil {
					return err
				}
				n += len(b)
			}
			fmt.Fprintf(stdout, "texgen %-24s %-3s %6.1f MB %5.1fs\n", m.ID, res, float64(n)/1e6, time.Since(t).Seconds())
		}
	}
	return nil
}
