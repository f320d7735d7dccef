package main

import (
	"flag"
	"io"
)

func runPack(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("publish pack", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", "catalog/demo", "output folder (packages/, previews/, catalog.json)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	return packDirs(fl.Args(), *out, stdout)
}
