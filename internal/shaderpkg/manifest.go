package shaderpkg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/octanebridge/octane-bridge/internal/jsonkeys"
)

// Manifest schema versions. Version 1 is one zip holding everything (textures under
// textures/<res>/); version 2 is a base zip (manifest, material.blend, preview.webp) plus one
// texture-set zip per resolution, each its own object with its own hash in the manifest.
const (
	SchemaVersion   = 1
	SchemaVersionV2 = 2
)

// Fixed entry names inside a package.
const (
	ManifestPath = "manifest.json"
	BlendPath    = "material.blend"
	PreviewPath  = "preview.webp"
	TexturesDir  = "textures"
)

// Limits. They bound what a hostile manifest or package can make a reader do.
const (
	MaxManifestBytes = 256 << 10
	MaxFiles         = 256
	MaxFileSize      = 1 << 30 // one entry
	MaxTotalSize     = 2 << 30 // all entries together, uncompressed
	MaxPathLen       = 200
	MaxTags          = 16
	MaxTextureSets   = 8
	MaxSetFiles      = 64 // files per texture set
)

// File is one package entry: its slash-separated path, lowercase hex SHA-256 and size in bytes.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest is manifest.json. Files lists every entry of the zip except manifest.json itself.
type Manifest struct {
	SchemaVersion      int      `json:"schema_version"`
	ShaderID           string   `json:"shader_id"`
	Version            string   `json:"version"`
	Name               string   `json:"name"`
	Description        string   `json:"description,omitempty"`
	MaterialName       string   `json:"material_name"`
	Category           string   `json:"category"`
	Tags               []string `json:"tags"`
	MinBlender         string   `json:"min_blender"`
	MinOctane          string   `json:"min_octane"`
	TextureResolutions []string `json:"texture_resolutions"` // v1 only; v2 derives it, see Resolutions
	Files              []File   `json:"files"`
	// TextureSets (v2 only) are the separately stored texture zips, ascending by resolution.
	TextureSets []TextureSet `json:"texture_sets"`
}

// TextureSet is one stored texture zip of a v2 version: its resolution, the SHA-256 and size of
// the zip, and its entries (flat file names, the same names in every set of the version).
// A delivery's base object has the same shape without a resolution (DeliveryObject).
type TextureSet struct {
	Resolution string `json:"resolution,omitempty"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	Files      []File `json:"files"`
}

// MarshalJSON writes each schema version's own fields: v1 has texture_resolutions and no
// texture_sets, v2 the reverse.
func (m Manifest) MarshalJSON() ([]byte, error) {
	type plain Manifest
	if m.SchemaVersion == SchemaVersionV2 {
		return json.Marshal(struct {
			plain
			TextureResolutions *struct{}    `json:"texture_resolutions,omitempty"`
			TextureSets        []TextureSet `json:"texture_sets"`
		}{plain: plain(m), TextureSets: nonNil(m.TextureSets)})
	}
	return json.Marshal(struct {
		plain
		TextureSets *struct{} `json:"texture_sets,omitempty"`
	}{plain: plain(m)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Resolutions lists the version's texture resolutions: v1's texture_resolutions, v2's sets in order.
func (m *Manifest) Resolutions() []string {
	if m.SchemaVersion != SchemaVersionV2 {
		return m.TextureResolutions
	}
	out := make([]string, len(m.TextureSets))
	for i, s := range m.TextureSets {
		out[i] = s.Resolution
	}
	return out
}

// Set returns the v2 texture set of resolution res.
func (m *Manifest) Set(res string) (TextureSet, bool) {
	for _, s := range m.TextureSets {
		if s.Resolution == res {
			return s, true
		}
	}
	return TextureSet{}, false
}

// SetFileNames is the file names every set of the version holds (nil without sets).
func (m *Manifest) SetFileNames() []string {
	if len(m.TextureSets) == 0 {
		return nil
	}
	names := make([]string, len(m.TextureSets[0].Files))
	for i, f := range m.TextureSets[0].Files {
		names[i] = f.Path
	}
	return names
}

// TextureSetKey is the S3 key of a v2 version's texture set; the base keeps the v1 key
// packages/<slug>/<version>.zip. This is the one place that names it.
func TextureSetKey(slug, version, res string) string {
	return "packages/" + slug + "/" + version + "/textures-" + res + ".zip"
}

var (
	reSlug       = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	reSemver     = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$`)
	reCategory   = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	reTag        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	reBlenderVer = regexp.MustCompile(`^[1-9][0-9]?\.[0-9]{1,2}(\.[0-9]{1,2})?$`)
	reOctaneVer  = regexp.MustCompile(`^20[0-9]{2}\.[0-9]{1,2}(\.[0-9]{1,2})?$`)
	reResolution = regexp.MustCompile(`^[1-9][0-9]?k$`)
	reHex256     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	reSegment    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$`)
)

var textureExts = []string{".png", ".jpg", ".jpeg", ".exr", ".tif", ".tiff", ".webp", ".hdr"}

// otherVersionKey is the one field of Manifest the given schema_version does not have.
var otherVersionKey = map[int]string{SchemaVersion: "texture_sets", SchemaVersionV2: "texture_resolutions"}

// ParseManifest decodes and validates manifest.json. Unknown fields, trailing data and any
// invalid field are rejected: a manifest is signed and trusted later, so it must mean exactly one thing.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	if len(data) > MaxManifestBytes {
		return m, errf(CodeManifestSyntax, "", "manifest is %d bytes, limit is %d", len(data), MaxManifestBytes)
	}
	if err := decodeStrict(data, &m); err != nil {
		return Manifest{}, errf(CodeManifestSyntax, "", "%v", err)
	}
	// The schema requires every field the struct does not mark omitempty (the lists too, [] when
	// empty): missing and null both decode to the zero value, which Validate cannot tell from a
	// writer's "none".
	if err := m.checkVersion(); err != nil {
		return Manifest{}, err
	}
	if err := jsonkeys.Check(data, m, otherVersionKey[m.SchemaVersion]); err != nil {
		e := err.(*jsonkeys.Error)
		return Manifest{}, errf(CodeManifestInvalid, e.Path, "%s", e.Problem)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errString("trailing data after JSON object")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// checkVersion refuses a schema_version this package does not know or the other version's list.
func (m *Manifest) checkVersion() error {
	switch {
	case m.SchemaVersion != SchemaVersion && m.SchemaVersion != SchemaVersionV2:
		return errf(CodeManifestInvalid, "schema_version", "must be %d or %d, got %d", SchemaVersion, SchemaVersionV2, m.SchemaVersion)
	case m.SchemaVersion == SchemaVersion && m.TextureSets != nil:
		return errf(CodeManifestInvalid, "schema_version", "texture_sets needs schema_version %d", SchemaVersionV2)
	case m.SchemaVersion == SchemaVersionV2 && m.TextureResolutions != nil:
		return errf(CodeManifestInvalid, "schema_version", "schema_version %d derives texture_resolutions from texture_sets; remove it", SchemaVersionV2)
	}
	return nil
}

// Validate checks every field. It is called by ParseManifest and by writers before they sign.
func (m *Manifest) Validate() error {
	bad := func(field, format string, args ...any) error {
		return errf(CodeManifestInvalid, field, format, args...)
	}
	if err := m.checkVersion(); err != nil {
		return err
	}
	if !reSlug.MatchString(m.ShaderID) {
		return bad("shader_id", "must be a lowercase slug (a-z, 0-9, '-'), 1-64 characters")
	}
	if !reSemver.MatchString(m.Version) {
		return bad("version", "must be MAJOR.MINOR.PATCH, got %q", m.Version)
	}
	if err := checkText(m.Name, 80); err != "" {
		return bad("name", "%s", err)
	}
	if m.Description != "" {
		if err := checkText(m.Description, 2000); err != "" {
			return bad("description", "%s", err)
		}
	}
	if err := checkMaterialName(m.MaterialName); err != "" {
		return bad("material_name", "%s", err)
	}
	if !reCategory.MatchString(m.Category) {
		return bad("category", "must be a lowercase slug, got %q", m.Category)
	}
	if len(m.Tags) > MaxTags {
		return bad("tags", "at most %d tags", MaxTags)
	}
	for i, t := range m.Tags {
		if !reTag.MatchString(t) {
			return bad("tags", "tag %d (%q) must be a lowercase slug", i, t)
		}
		if slices.Index(m.Tags, t) != i {
			return bad("tags", "duplicate tag %q", t)
		}
	}
	if !reBlenderVer.MatchString(m.MinBlender) {
		return bad("min_blender", "must look like 3.4 or 4.2.1, got %q", m.MinBlender)
	}
	if !reOctaneVer.MatchString(m.MinOctane) {
		return bad("min_octane", "must look like 2024.1, got %q", m.MinOctane)
	}
	if m.SchemaVersion == SchemaVersionV2 {
		if err := validateSets(m.TextureSets); err != nil {
			return err
		}
		return validateBaseFiles(m.Files)
	}
	if len(m.TextureResolutions) > MaxTextureSets {
		return bad("texture_resolutions", "at most %d resolutions", MaxTextureSets)
	}
	for i, r := range m.TextureResolutions {
		if !reResolution.MatchString(r) {
			return bad("texture_resolutions", "%q is not a resolution like 1k or 4k", r)
		}
		if slices.Index(m.TextureResolutions, r) != i {
			return bad("texture_resolutions", "duplicate resolution %q", r)
		}
	}
	if err := validateFiles("files", m.Files, MaxFiles, func(p string) string { return checkLayout(p, m.TextureResolutions) }); err != nil {
		return err
	}
	return requireBaseFiles("files", m.Files)
}

// validateBaseFiles checks the file list of a v2 base zip.
func validateBaseFiles(files []File) error {
	if err := validateFiles("files", files, MaxFiles, checkBaseLayout); err != nil {
		return err
	}
	return requireBaseFiles("files", files)
}

// validateSets checks v2 texture sets: resolutions strictly ascending, each zip's hash and size,
// and the same flat texture file names in every set.
func validateSets(sets []TextureSet) error {
	if len(sets) > MaxTextureSets {
		return errf(CodeManifestInvalid, "texture_sets", "at most %d texture sets", MaxTextureSets)
	}
	var first []string
	for i, s := range sets {
		field := fmt.Sprintf("texture_sets[%d]", i)
		if err := validateSet(field, s); err != nil {
			return err
		}
		if i > 0 && resolutionNumber(s.Resolution) <= resolutionNumber(sets[i-1].Resolution) {
			return errf(CodeManifestInvalid, field, "resolutions must be unique and ascending (%s after %s)", s.Resolution, sets[i-1].Resolution)
		}
		names := make([]string, len(s.Files))
		for j, f := range s.Files {
			names[j] = f.Path
		}
		slices.Sort(names)
		if i == 0 {
			first = names
		} else if !slices.Equal(names, first) {
			return errf(CodeManifestInvalid, field, "must hold the same file names as the %s set (%s), has %s", sets[0].Resolution, strings.Join(first, " "), strings.Join(names, " "))
		}
	}
	return nil
}

// validateSet checks one texture set (a manifest's, or a delivery's chosen one).
func validateSet(field string, s TextureSet) error {
	if err := validateSetContent(field, s); err != nil {
		return err
	}
	return validateObject(field+".", s.SHA256, s.Size)
}

// validateSetContent checks a set's resolution and files (what is known before its zip is written).
func validateSetContent(field string, s TextureSet) error {
	if !reResolution.MatchString(s.Resolution) {
		return errf(CodeManifestInvalid, field, "resolution %q is not like 1k or 4k", s.Resolution)
	}
	return validateFiles(field+".files", s.Files, MaxSetFiles, checkSetLayout)
}

// validateObject checks a stored zip's hash and size; prefix is prepended to the field names.
func validateObject(prefix, sha string, size int64) error {
	if !reHex256.MatchString(sha) {
		return errf(CodeManifestInvalid, prefix+"sha256", "must be 64 lowercase hex digits")
	}
	if size <= 0 || size > MaxPackageSize {
		return errf(CodeManifestInvalid, prefix+"size", "%d is outside 1..%d", size, int64(MaxPackageSize))
	}
	return nil
}

// resolutionNumber is 4 for "4k" (the resolution was checked against reResolution).
func resolutionNumber(r string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(r, "k"))
	return n
}

// CompareResolutions orders resolutions by size ("2k" before "16k"), for slices.SortFunc.
func CompareResolutions(a, b string) int {
	return resolutionNumber(a) - resolutionNumber(b)
}

// validateFiles checks a file list under field. layout, when set, checks each path (returning
// why it is not allowed); a delivery of a v1 package applies only the generic rules.
func validateFiles(field string, files []File, max int, layout func(string) string) error {
	bad := func(format string, args ...any) error {
		return errf(CodeManifestInvalid, field, format, args...)
	}
	if len(files) == 0 {
		return bad("must list the files")
	}
	if len(files) > max {
		return bad("%d files, limit is %d", len(files), max)
	}
	seen := make(map[string]bool, len(files))
	var total int64
	for _, f := range files {
		if err := CheckEntryPath(f.Path); err != nil {
			return bad("%s", err.(*Error).Msg)
		}
		if f.Path == ManifestPath {
			return bad("manifest.json must not list itself")
		}
		// Case-insensitive file systems (Windows, macOS) would merge these.
		key := strings.ToLower(f.Path)
		if seen[key] {
			return bad("duplicate path %q", f.Path)
		}
		seen[key] = true
		if !reHex256.MatchString(f.SHA256) {
			return bad("%s: sha256 must be 64 lowercase hex digits", f.Path)
		}
		if f.Size < 0 || f.Size > MaxFileSize {
			return bad("%s: size %d is outside 0..%d", f.Path, f.Size, int64(MaxFileSize))
		}
		total += f.Size
		if total > MaxTotalSize {
			return bad("total size exceeds %d bytes", int64(MaxTotalSize))
		}
		if layout != nil {
			if err := layout(f.Path); err != "" {
				return bad("%s: %s", f.Path, err)
			}
		}
	}
	return nil
}

// requireBaseFiles demands the two entries every package has beside manifest.json.
func requireBaseFiles(field string, files []File) error {
	for _, p := range []string{BlendPath, PreviewPath} {
		if !slices.ContainsFunc(files, func(f File) bool { return f.Path == p }) {
			return errf(CodeManifestInvalid, field, "%s is missing", p)
		}
	}
	return nil
}

func checkLayout(p string, resolutions []string) string {
	switch p {
	case BlendPath, PreviewPath:
		return ""
	}
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != TexturesDir {
		return "only material.blend, preview.webp and textures/<resolution>/<file> may be in a package"
	}
	if !slices.Contains(resolutions, parts[1]) {
		return "texture resolution " + parts[1] + " is not listed in texture_resolutions"
	}
	if !slices.Contains(textureExts, strings.ToLower(path.Ext(parts[2]))) {
		return "texture must be one of " + strings.Join(textureExts, " ")
	}
	return ""
}

// checkBaseLayout is the v2 base zip: its textures are in the sets.
func checkBaseLayout(p string) string {
	if p == BlendPath || p == PreviewPath {
		return ""
	}
	return "a schema_version 2 package holds only material.blend and preview.webp; textures go in texture_sets"
}

// checkSetLayout is a texture set zip: flat texture file names.
func checkSetLayout(p string) string {
	if strings.Contains(p, "/") {
		return "texture set entries are flat file names (no folders)"
	}
	if !slices.Contains(textureExts, strings.ToLower(path.Ext(p))) {
		return "texture must be one of " + strings.Join(textureExts, " ")
	}
	return ""
}

// CheckEntryPath accepts only plain relative slash paths made of conservative characters:
// no "..", no absolute paths, no backslashes or drive letters, no hidden or Windows-reserved names.
// The bridge still extracts through os.Root; this is the first of two walls.
func CheckEntryPath(p string) error {
	bad := func(why string) error { return errf(CodeManifestInvalid, "path", "%q %s", p, why) }
	if p == "" || len(p) > MaxPathLen {
		return bad("must be 1-200 bytes long")
	}
	if !utf8.ValidString(p) {
		return bad("is not valid UTF-8")
	}
	if !filepath.IsLocal(p) || path.IsAbs(p) || path.Clean(p) != p {
		return bad("is not a clean relative path")
	}
	for _, seg := range strings.Split(p, "/") {
		if !reSegment.MatchString(seg) {
			return bad("has a segment with characters outside A-Z a-z 0-9 . _ - (or starting with '.' or '-')")
		}
		if seg == "." || seg == ".." || strings.HasSuffix(seg, ".") {
			return bad("has a '.' or '..' segment")
		}
		base := strings.ToUpper(seg)
		if i := strings.IndexByte(base, '.'); i >= 0 {
			base = base[:i]
		}
		if isWindowsReserved(base) {
			return bad("uses a Windows-reserved name")
		}
	}
	return nil
}

func isWindowsReserved(s string) bool {
	switch s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) && s[3] >= '0' && s[3] <= '9' {
		return true
	}
	return false
}

func checkText(s string, maxRunes int) string {
	if strings.TrimSpace(s) != s || s == "" {
		return "must be non-empty without leading or trailing spaces"
	}
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "is too long"
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return "must not contain control characters"
		}
	}
	return ""
}

// Blender ID names hold at most 63 bytes (MAX_ID_NAME - 2) in the versions we support.
func checkMaterialName(s string) string {
	if len(s) > 63 {
		return "must be at most 63 bytes (Blender's ID name limit)"
	}
	if err := checkText(s, 63); err != "" {
		return err
	}
	if strings.ContainsRune(s, '\n') {
		return "must be one line"
	}
	return ""
}

// File returns the entry for path p.
func (m *Manifest) File(p string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == p {
			return f, true
		}
	}
	return File{}, false
}

// TotalSize is the sum of all listed file sizes.
func (m *Manifest) TotalSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Marshal validates m and encodes it the one way this project writes manifests: files sorted by
// path (in each texture set too), two-space indentation, trailing newline.
func (m Manifest) Marshal() ([]byte, error) {
	m.Files = sortedFiles(m.Files)
	if m.Tags == nil {
		m.Tags = []string{}
	}
	if m.SchemaVersion == SchemaVersionV2 {
		m.TextureSets = slices.Clone(m.TextureSets)
		for i := range m.TextureSets {
			m.TextureSets[i].Files = sortedFiles(m.TextureSets[i].Files)
		}
	} else if m.TextureResolutions == nil {
		m.TextureResolutions = []string{}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func sortedFiles(files []File) []File {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files
}
