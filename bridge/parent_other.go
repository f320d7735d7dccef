//go:build !unix

package main

import (
	"context"
	"log/slog"
)

// On Windows the closed stdin pipe is what tells the bridge that Blender is gone.
func watchParent(context.Context, context.CancelFunc, *slog.Logger) {}
