// Package keychain keeps the bridge's device key: in the OS keychain (macOS Keychain, Windows
// Credential Manager, Secret Service on Linux) through go-keyring, and in a 0600 file inside a
// 0700 directory when no keychain is reachable (headless Linux, no D-Bus session).
package keychain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/octanebridge/octane-bridge/internal/atomicfile"
)

// ErrNotFound: no secret is stored under that account.
var ErrNotFound = errors.New("keychain: not found")

// ErrCorrupt: the fallback file exists but cannot be read as a credential file.
var ErrCorrupt = errors.New("keychain: credential file is corrupt")

// Store keeps secrets per account.
type Store interface {
	Get(account string) (string, error)
	Set(account, secret string) error
	Delete(account string) error
}

// backend is the OS keychain's shape (go-keyring's functions); tests inject an unavailable one.
type backend interface {
	Get(service, account string) (string, error)
	Set(service, account, secret string) error
	Delete(service, account string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, a string) (string, error) { return keyring.Get(s, a) }
func (osKeyring) Set(s, a, v string) error        { return keyring.Set(s, a, v) }
func (osKeyring) Delete(s, a string) error        { return keyring.Delete(s, a) }

// osTimeout bounds one keychain call: a locked keychain waiting on a prompt must not hang the bridge.
const osTimeout = 10 * time.Second

// New returns a Store under service. fallbackDir holds the file used when the OS keychain fails.
func New(service, fallbackDir string) Store {
	return &store{service: service, os: osKeyring{}, dir: fallbackDir}
}

type store struct {
	service string
	os      backend
	dir     string
	mu      sync.Mutex // serialises the file's read-modify-write within the process
}

func (s *store) Get(account string) (string, error) {
	v, err := withTimeout(func() (string, error) { return s.os.Get(s.service, account) })
	if err == nil {
		return v, nil
	}
	// Not in the keychain (or no keychain): the file may hold it from a time the keychain was away.
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ferr := s.readFile()
	if ferr != nil {
		return "", ferr
	}
	v, ok := m[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *store) Set(account, secret string) error {
	_, err := withTimeout(func() (string, error) { return "", s.os.Set(s.service, account, secret) })
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ferr := s.readFile()
	if errors.Is(ferr, ErrCorrupt) {
		m, ferr = map[string]string{}, nil // a new secret replaces what nobody can read anyway
	}
	if ferr != nil {
		if err == nil {
			return nil
		}
		return ferr
	}
	if err == nil {
		// Stored in the keychain: drop a stale copy from the file.
		if _, ok := m[account]; ok {
			delete(m, account)
			return s.writeFile(m)
		}
		return nil
	}
	m[account] = secret
	if werr := s.writeFile(m); werr != nil {
		return fmt.Errorf("keychain unavailable (%v) and fallback file failed: %w", err, werr)
	}
	return nil
}

func (s *store) Delete(account string) error {
	_, kerr := withTimeout(func() (string, error) { return "", s.os.Delete(s.service, account) })
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.readFile()
	if errors.Is(err, ErrCorrupt) {
		// Nothing can be read from it; removing it is the only way to forget the secret.
		if rerr := os.Remove(s.path()); rerr != nil {
			return rerr
		}
		return nil
	}
	if err != nil {
		return err
	}
	if _, ok := m[account]; ok {
		delete(m, account)
		return s.writeFile(m)
	}
	if kerr == nil {
		return nil
	}
	return ErrNotFound
}

func (s *store) path() string { return filepath.Join(s.dir, "credentials.json") }

// fileFormat is versioned so a later bridge can tell what it reads.
type fileFormat struct {
	Version int                          `json:"version"`
	Secrets map[string]map[string]string `json:"secrets"` // service -> account -> secret
}

func (s *store) readAll() (fileFormat, error) {
	f := fileFormat{Version: 1, Secrets: map[string]map[string]string{}}
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("keychain file: %w", err)
	}
	if err := fixMode(s.path(), 0o600); err != nil {
		return f, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil || f.Version != 1 {
		return fileFormat{Version: 1, Secrets: map[string]map[string]string{}}, ErrCorrupt
	}
	if f.Secrets == nil {
		f.Secrets = map[string]map[string]string{}
	}
	return f, nil
}

func (s *store) readFile() (map[string]string, error) {
	f, err := s.readAll()
	if err != nil {
		return nil, err
	}
	m := f.Secrets[s.service]
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// writeFile replaces this service's secrets: temp file (0600) + fsync + rename, in a 0700 dir.
func (s *store) writeFile(m map[string]string) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	if err := fixMode(s.dir, 0o700); err != nil {
		return err
	}
	f, err := s.readAll()
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return err
	}
	if len(m) == 0 {
		delete(f.Secrets, s.service)
	} else {
		f.Secrets[s.service] = m
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path(), b, 0o600)
}

// fixMode tightens permissions that something else loosened (POSIX only).
func fixMode(path string, want fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm() != want {
		return os.Chmod(path, want)
	}
	return nil
}

func withTimeout(f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(osTimeout):
		return "", errors.New("keychain: the OS keychain did not answer")
	}
}

// Backend says where s keeps secrets on this machine, for the doctor: the OS keychain when it
// answers, else the 0600 file (with why the keychain did not answer). It never reads a secret.
func Backend(s Store) (desc string, osKeychain bool) {
	st, ok := s.(*store)
	if !ok {
		return "a custom store", false
	}
	_, err := withTimeout(func() (string, error) { return st.os.Get(st.service, "doctor-probe") })
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return "the OS keychain (service " + st.service + ")", true
	}
	return fmt.Sprintf("the private file %s (the OS keychain did not answer: %v)", st.path(), err), false
}
