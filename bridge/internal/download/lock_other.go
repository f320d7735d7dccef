//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly || windows)

package download

import "os"

// No file locking here: the importer still serialises downloads within one bridge.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
