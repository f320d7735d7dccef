package imports

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

// DeviceRequest is the body of POST /v1/device/imports: Blender asks for a resolution switch
// or a version update of a shader it shows (by slug). Version "" is the newest published;
// Blender names the running Blender (instance) the import is for.
type DeviceRequest struct {
	Shader     string  `json:"shader"`
	Version    *string `json:"version"`
	Resolution *string `json:"resolution"`
	Purpose    string  `json:"purpose"`
	Blender    *string `json:"blender"`
}

// maxSlug bounds a slug read from a request (the catalog's are far shorter).
const maxSlug = 100

// DeviceCreate queues an import that a device asks for itself, through the same checks as a web
// import (published version, entitlement, the device's own live Blender, the resolution the
// version has), addressed to that device. It answers the import_request the web's import would
// have sent to the device (token included) instead of sending it: the bridge that asked redeems it.
func (s *Service) DeviceCreate(ctx context.Context, user, dev uuid.UUID, in DeviceRequest, now time.Time) (wire.ImportRequest, error) {
	switch {
	case in.Shader == "":
		return wire.ImportRequest{}, apierror.New(apierror.MissingRequiredField, "shader is required")
	case len(in.Shader) > maxSlug:
		return wire.ImportRequest{}, apierror.New(apierror.InvalidInput, "shader must be a shader's slug")
	case in.Purpose == "":
		return wire.ImportRequest{}, apierror.New(apierror.MissingRequiredField, "purpose is required")
	case in.Purpose != purposeSwitch && in.Purpose != purposeUpdate:
		return wire.ImportRequest{}, apierror.New(apierror.InvalidInput, "purpose must be switch or update")
	}
	var shader uuid.UUID
	if err := s.d.DB.QueryRow(ctx, `select id from public.shaders where slug = $1 and published`, in.Shader).Scan(&shader); err != nil {
		return wire.ImportRequest{}, postgres.Error(err, "shader")
	}
	device := dev.String()
	out, err := s.create(ctx, user, CreateRequest{ShaderID: shader.String(), Version: in.Version, DeviceID: &device,
		InstanceID: in.Blender, Resolution: in.Resolution}, in.Purpose, now)
	if err != nil {
		return wire.ImportRequest{}, err
	}
	return out.request, nil
}

// ShaderInfo is what Blender's panel shows of a shader (GET /v1/device/shaders/{slug}): its
// newest published version, the versions (newest first, at most 20), the newest one's texture
// sets with their download sizes, and whether the account may import it.
type ShaderInfo struct {
	Shader        string        `json:"shader"`
	Name          string        `json:"name"`
	LatestVersion *string       `json:"latest_version"`
	Versions      []string      `json:"versions"`
	TextureSets   []TextureSize `json:"texture_sets"`
	Entitled      bool          `json:"entitled"`
}

// TextureSize is one texture set of a version: its resolution and the bytes of its download.
type TextureSize struct {
	Resolution string `json:"resolution"`
	Size       int64  `json:"size"`
}

// Shader reads a published shader for user's device: NOT_FOUND for a slug that names none.
func (s *Service) Shader(ctx context.Context, user uuid.UUID, slug string) (ShaderInfo, error) {
	if len(slug) > maxSlug {
		return ShaderInfo{}, apierror.New(apierror.NotFound, "shader not found")
	}
	out := ShaderInfo{Versions: []string{}, TextureSets: []TextureSize{}}
	var latest *uuid.UUID
	// The newest is what resolve_import_target picks without a version: the latest created.
	err := s.d.DB.QueryRow(ctx, `
		select s.slug, s.name, public.has_entitlement($1, s.id),
		       array(select v.version from public.shader_versions v where v.shader_id = s.id
		             order by v.created_at desc limit 20),
		       (select v.id from public.shader_versions v where v.shader_id = s.id order by v.created_at desc limit 1)
		from public.shaders s where s.slug = $2 and s.published`, user, slug).
		Scan(&out.Shader, &out.Name, &out.Entitled, &out.Versions, &latest)
	if err != nil {
		return ShaderInfo{}, postgres.Error(err, "shader")
	}
	if latest == nil {
		return out, nil
	}
	out.LatestVersion = &out.Versions[0]
	rows, err := s.d.DB.Query(ctx, `select resolution, size from public.texture_sets where version_id = $1
		order by left(resolution, -1)::int`, *latest)
	if err != nil {
		return ShaderInfo{}, postgres.Error(err, "shader")
	}
	if out.TextureSets, err = pgx.CollectRows(rows, pgx.RowToStructByPos[TextureSize]); err != nil {
		return ShaderInfo{}, postgres.Error(err, "shader")
	}
	return out, nil
}
