package stdio

import (
	"errors"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Message types. The add-on sends the first group, the bridge the second; "hello" and "status"
// go both ways (a request from the add-on, a report from the bridge).
const (
	TypeHello        = "hello"
	TypeStatus       = "status"
	TypePair         = "pair"
	TypeUnpair       = "unpair"
	TypeCache        = "cache"
	TypeLibrary      = "library" // both ways: a request (list or apply) and the list that answers it
	TypeShutdown     = "shutdown"
	TypeImported     = "imported"
	TypeImportFailed = "import_failed"
	TypeCancel       = "cancel" // the artist cancelled an import in Blender
	TypeScene        = "scene"  // another .blend file is open
	// Both ways: the add-on asks, the bridge answers with the same type (and re).
	TypeRequestImport = "request_import" // switch a material's resolution or update its version
	TypeShaderInfo    = "shader_info"    // a shader's newest version and its resolutions

	TypePairCode     = "pair_code"
	TypePaired       = "paired"
	TypeUnpaired     = "unpaired"
	TypeProgress     = "progress"
	TypeImport       = "import"
	TypeImportStatus = "import_status"
	TypeCacheStats   = "cache_stats"
	TypeError        = "error"
)

// Hello is the add-on's first message: who it is and where the service lives.
type Hello struct {
	AddonVersion    string `json:"addon_version"`
	BlenderVersion  string `json:"blender_version"`
	Platform        string `json:"platform"`
	SiteURL         string `json:"site_url"`
	EdgeURL         string `json:"edge_url,omitempty"`
	SupabaseURL     string `json:"supabase_url,omitempty"`
	SupabaseAnonKey string `json:"supabase_anon_key,omitempty"`
	CacheDir        string `json:"cache_dir,omitempty"`
	CacheMaxBytes   int64  `json:"cache_max_bytes,omitempty"`
	LogLevel        string `json:"log_level,omitempty"`
	DeviceName      string `json:"device_name,omitempty"`
	// InstanceID is this Blender session's id (the add-on makes it once per session): the
	// import target the site lists; BlendFile the open file's name, what the site shows for it.
	InstanceID string `json:"instance_id,omitempty"`
	BlendFile  string `json:"blend_file,omitempty"`
}

// Cancel stops an import that Blender does not have yet (queued or downloading).
type Cancel struct {
	ImportID string `json:"import_id"`
}

// Scene names the .blend file now open ("" for an unsaved one).
type Scene struct {
	BlendFile string `json:"blend_file"`
}

type Pair struct {
	DeviceName string `json:"device_name,omitempty"`
}

type Cache struct {
	Action string `json:"action"` // "stats" or "clear"
}

// Library asks for the local library (action "list": answered with a LibraryList) or applies one
// of its entries (action "apply": the bridge checks it against its signed file list and sends an
// import with the add-on's ImportID, then import_status).
type Library struct {
	Action     string `json:"action"`
	SHA256     string `json:"sha256,omitempty"`
	Resolution string `json:"resolution,omitempty"` // apply: a v2 entry's texture set
	ImportID   string `json:"import_id,omitempty"`
}

// check applies the schema's rule for apply: it names the entry and the import's id.
func (l *Library) check() error {
	switch {
	case l.Action == "apply" && l.SHA256 == "":
		return errors.New("sha256 is required to apply")
	case l.Action == "apply" && l.ImportID == "":
		return errors.New("import_id is required to apply")
	}
	return nil
}

// Imported is the add-on's success reply to an import.
type Imported struct {
	ImportID     string   `json:"import_id"`
	MaterialName string   `json:"material_name"`
	Objects      []string `json:"objects"`
	Faces        int      `json:"faces,omitempty"`
	Reused       bool     `json:"reused"`
	Message      string   `json:"message"`
}

// ImportFailed is the add-on's failure reply to an import.
type ImportFailed struct {
	ImportID string     `json:"import_id"`
	Code     codes.Code `json:"code"`
	Message  string     `json:"message"`
}

// HelloReply answers hello.
type HelloReply struct {
	BridgeVersion string `json:"bridge_version"`
	Protocol      int    `json:"protocol"`
	Paired        bool   `json:"paired"`
	DeviceID      string `json:"device_id,omitempty"`
}

// Connection states reported in Status.
const (
	StateUnpaired   = "unpaired"
	StatePairing    = "pairing"
	StateConnecting = "connecting"
	StateOnline     = "online"
	StateOffline    = "offline"
	StateError      = "error"
)

type Status struct {
	State        string `json:"state"`
	DeviceID     string `json:"device_id,omitempty"`
	Message      string `json:"message,omitempty"`
	Account      string `json:"account,omitempty"`      // the e-mail this Blender is connected as
	Subscription string `json:"subscription,omitempty"` // active, trialing, past_due, canceled or inactive
}

type PairCode struct {
	UserCode                string `json:"user_code"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
}

type Paired struct {
	DeviceID string `json:"device_id"`
}

// Import stages reported in Progress.
const (
	StageQueued      = "queued"
	StageDownloading = "downloading"
	StageVerifying   = "verifying"
	StageExtracting  = "extracting"
)

type Progress struct {
	ImportID   string  `json:"import_id"`
	ShaderName string  `json:"shader_name,omitempty"`
	Stage      string  `json:"stage"`
	Fraction   float64 `json:"fraction"`
	Bytes      int64   `json:"bytes,omitempty"`
	Total      int64   `json:"total,omitempty"`
}

// Import asks the add-on to bring a verified, extracted package into the open file. BlendPath
// and PackageDir are the package's (a v2 package's base); TexturesDir holds the chosen texture
// set's files, which the .blend names //textures/<name> (nil: a v1 package or no textures).
type Import struct {
	ImportID     string  `json:"import_id"`
	ShaderID     string  `json:"shader_id"`
	Version      string  `json:"version"`
	ShaderName   string  `json:"shader_name"`
	MaterialName string  `json:"material_name"`
	BlendPath    string  `json:"blend_path"`
	PackageDir   string  `json:"package_dir"`
	TexturesDir  *string `json:"textures_dir"`
	Resolution   *string `json:"resolution"`
	Apply        Apply   `json:"apply"`
}

// What the add-on does with an imported material (Apply.Mode).
const (
	ApplyAssign = "assign" // append it and assign it to the selection
	ApplySwitch = "switch" // the same version at another resolution: repoint Material's images in place
	ApplyUpdate = "update" // a newer version: replace Material in place, keeping every assignment
)

// Apply says how an import lands: assigned to the selection, or changing one material in place.
type Apply struct {
	Mode     string `json:"mode"`
	Material string `json:"material,omitempty"` // switch and update: the Blender material to change
}

// RequestImport asks for an import from Blender (the add-on's panel): the same version at
// another resolution (purpose switch) or a newer one (update; Version empty = the newest). The
// bridge asks the edge (POST /v1/device/imports), answers with RequestImported and runs the
// import like any other, handing Blender apply = {purpose, material}.
type RequestImport struct {
	Shader     string `json:"shader"`
	Version    string `json:"version,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	Purpose    string `json:"purpose"`
	Material   string `json:"material"`
}

// RequestImported answers a RequestImport: the import the edge created.
type RequestImported struct {
	ImportID string `json:"import_id"`
}

// ShaderInfoRequest asks what the panel needs for "Update to vX.Y.Z" and "Switch resolution".
type ShaderInfoRequest struct {
	Shader string `json:"shader"`
}

// ShaderInfo answers it (GET /v1/device/shaders/{slug}).
type ShaderInfo struct {
	Shader        string       `json:"shader"`
	Name          string       `json:"name"`
	LatestVersion string       `json:"latest_version"`
	Versions      []string     `json:"versions"`
	TextureSets   []TextureSet `json:"texture_sets"` // of the latest version, ascending
	Entitled      bool         `json:"entitled"`
}

// TextureSet is one resolution a version offers and its download size (bytes of the set).
type TextureSet struct {
	Resolution string `json:"resolution"`
	Size       int64  `json:"size"`
}

// ImportStatus is the final outcome of an import as the bridge recorded it.
type ImportStatus struct {
	ImportID string     `json:"import_id"`
	Status   string     `json:"status"`
	Code     codes.Code `json:"code,omitempty"`
	Message  string     `json:"message,omitempty"`
}

type CacheStats struct {
	Entries  int    `json:"entries"`
	Bytes    int64  `json:"bytes"`
	MaxBytes int64  `json:"max_bytes"`
	Dir      string `json:"dir"`
}

type ErrorMsg struct {
	Code    codes.Code `json:"code"`
	Message string     `json:"message"`
}

// LibraryList is the local library: the shaders in the cache with a signed record, most recently
// used first.
type LibraryList struct {
	Entries []LibraryEntry `json:"entries"`
}

type LibraryEntry struct {
	SHA256       string   `json:"sha256"`               // the package's (a v2 package's base)
	Resolution   string   `json:"resolution,omitempty"` // a v2 entry's texture set: apply names it too
	ShaderID     string   `json:"shader_id"`
	Version      string   `json:"version"`
	Name         string   `json:"name"`
	MaterialName string   `json:"material_name"`
	PreviewPath  string   `json:"preview_path,omitempty"`
	Resolutions  []string `json:"resolutions"`
	MinBlender   string   `json:"min_blender,omitempty"`
	MinOctane    string   `json:"min_octane,omitempty"`
	Bytes        int64    `json:"bytes"`
	UsedAt       int64    `json:"used_at"` // unix seconds
}
