package main

import (
	"context"
	"fmt"
	"io"
)

func runPublish(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not implemented yet")
}
