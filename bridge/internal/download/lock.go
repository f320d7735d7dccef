package download

import (
	"context"
	"os"
	"time"
)

// lockPart takes an exclusive OS lock on path (created if needed), waiting while another
// process or goroutine holds it: several bridges (one per Blender window) share the cache, and
// two writers on one .part would interleave bytes. The OS drops the lock when a holder dies.
// The lock file is removed on release; a waiter that then finds its file unlinked starts over.
func lockPart(ctx context.Context, path string) (release func(), err error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, &Error{Code: CodeFailed, Msg: "cannot open the part's lock file", Err: err}
		}
		for {
			ok, err := tryLock(f)
			if err != nil {
				f.Close()
				return nil, &Error{Code: CodeFailed, Msg: "cannot lock the part", Err: err}
			}
			if ok {
				break
			}
			select {
			case <-ctx.Done():
				f.Close()
				return nil, &Error{Code: CodeFailed, Msg: "interrupted while another download of this package was running", Err: ctx.Err()}
			case <-time.After(100 * time.Millisecond):
			}
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() {
				_ = os.Remove(path)
				_ = unlock(f)
				f.Close()
			}, nil
		}
		// The holder we waited for removed the file: our lock is on an orphan; take the new one.
		_ = unlock(f)
		f.Close()
	}
}

// TryLock takes an exclusive OS lock on path (created if needed) without waiting: ok is false
// while another process (or another TryLock of this one) holds it. The OS drops the lock when
// the holder dies (kill -9 included), so a lock never outlives its bridge. release removes the
// file and unlocks; a lock taken on a file that was removed meanwhile is given up (ok false), so
// two holders of one path never coexist.
func TryLock(path string) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	ok, err = tryLock(f)
	if err != nil || !ok {
		f.Close()
		return nil, false, err
	}
	held, err1 := f.Stat()
	now, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(held, now) {
		_ = unlock(f)
		f.Close()
		return nil, false, nil // the holder before us finished and removed it
	}
	return func() { _ = os.Remove(path); _ = unlock(f); f.Close() }, true, nil
}
