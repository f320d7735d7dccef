package publishing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// ErrAlreadyPublished refuses to touch an existing version: versions are immutable.
var ErrAlreadyPublished = errors.New("already published; versions are immutable, publish a new version number")

// DB is what the publisher needs of a pgx connection or pool.
type DB interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// CatalogDB writes shaders and shader_versions rows (see supabase/migrations/*_catalog_and_search.sql).
type CatalogDB struct{ conn DB }

// NewCatalogDB uses an open connection or pool.
func NewCatalogDB(conn DB) *CatalogDB { return &CatalogDB{conn: conn} }

// OpenCatalogDB connects to DATABASE_URL (the publisher's role writes the catalog); the caller
// closes the connection.
func OpenCatalogDB(ctx context.Context, url string) (*CatalogDB, *pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	return &CatalogDB{conn: conn}, conn, nil
}

// existingSHA returns the sha256 of a published version, or "" when there is none.
func (db *CatalogDB) existingSHA(ctx context.Context, slug, version string) (string, error) {
	var sha string
	err := db.conn.QueryRow(ctx, `
		select v.sha256 from public.shader_versions v join public.shaders s on s.id = v.shader_id
		where s.slug = $1 and v.version = $2`, slug, version).Scan(&sha)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return sha, err
}

// CheckCatalog refuses versions that are already published (skipExisting: the same content is
// skipped instead) and categories the catalog does not have, every problem at once, before
// anything is uploaded.
func (db *CatalogDB) CheckCatalog(ctx context.Context, items []*Item, skipExisting bool) error {
	var bad []Problem
	refused := map[*Item]bool{} // a package with two problems counts once in the summary
	for _, it := range items {
		conflict := func(text string) {
			bad = append(bad, Problem{Code: codes.Conflict, Text: text})
			refused[it] = true
		}
		var known bool
		if err := db.conn.QueryRow(ctx, `select exists (select 1 from public.categories where id = $1)`, it.Pkg.Manifest.Category).Scan(&known); err != nil {
			return err
		}
		if !known {
			conflict(fmt.Sprintf("%s: category %q does not exist in public.categories", it.Src, it.Pkg.Manifest.Category))
		}
		sha, err := db.existingSHA(ctx, it.Slug(), it.Version())
		if err != nil {
			return err
		}
		switch {
		case sha == "":
		case skipExisting && sha == it.Pkg.SHA256:
			it.Skip = true
		case sha == it.Pkg.SHA256:
			conflict(fmt.Sprintf("%s: %s %s %v (same content: use --skip-existing to ignore)", it.Src, it.Slug(), it.Version(), ErrAlreadyPublished))
		default:
			conflict(fmt.Sprintf("%s: %s %s %v (different content!)", it.Src, it.Slug(), it.Version(), ErrAlreadyPublished))
		}
	}
	if len(bad) > 0 {
		return &Refused{Step: "register", Code: codes.Conflict, Problems: bad,
			Summary: fmt.Sprintf("the catalog refuses %d package(s)", len(refused))}
	}
	return nil
}

// insertVersion creates or updates the shaders row and inserts the immutable version row, in one
// transaction. The listing (name, tags, preview, latest_version) follows the newest version only.
func (db *CatalogDB) insertVersion(ctx context.Context, it *Item) error {
	m := it.Pkg.Manifest
	return pgx.BeginFunc(ctx, db.conn, func(tx pgx.Tx) error {
		tags := m.Tags
		if tags == nil {
			tags = []string{}
		}
		var shaderID string
		err := tx.QueryRow(ctx, `
			insert into public.shaders (slug, name, description, category_id, tags, is_free, published, preview_key, latest_version)
			values ($1, $2, $3, $4, $5, $6, true, $7, $8)
			on conflict (slug) do update set
				name = excluded.name, description = excluded.description, category_id = excluded.category_id,
				tags = excluded.tags, is_free = excluded.is_free, published = true,
				preview_key = excluded.preview_key, latest_version = excluded.latest_version, updated_at = now()
			where public.shaders.latest_version is null
			   or string_to_array(public.shaders.latest_version, '.')::int[] < string_to_array(excluded.latest_version, '.')::int[]
			returning id`,
			m.ShaderID, m.Name, m.Description, m.Category, tags, it.IsFree, it.PreviewKey(), m.Version).Scan(&shaderID)
		if errors.Is(err, pgx.ErrNoRows) { // an older version than the listed one: keep the listing
			err = tx.QueryRow(ctx, `select id from public.shaders where slug = $1`, m.ShaderID).Scan(&shaderID)
		}
		if err != nil {
			return err
		}
		var versionID string
		err = tx.QueryRow(ctx, `
			insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig,
			                                    min_blender, min_octane, texture_resolutions)
			values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
			returning id`,
			shaderID, m.Version, it.PackageKey(), it.Pkg.SHA256, it.Pkg.Size, string(it.Pkg.ManifestJSON), it.Sig,
			m.MinBlender, m.MinOctane, m.Resolutions()).Scan(&versionID)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("%s %s %w", m.ShaderID, m.Version, ErrAlreadyPublished)
		}
		if err != nil {
			return err
		}
		// A v2 version's texture sets, as its signed manifest lists them (public.texture_sets
		// refuses a row the manifest does not have).
		for _, s := range it.sets {
			files, err := json.Marshal(s.Files)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
				insert into public.texture_sets (version_id, resolution, object_key, sha256, size, files)
				values ($1, $2, $3, $4, $5, $6::jsonb)`,
				versionID, s.Resolution, it.SetKey(s.Resolution), s.SHA256, s.Size, string(files)); err != nil {
				return fmt.Errorf("%s texture set: %w", s.Resolution, err)
			}
		}
		return nil
	})
}

// SHA256Hex is the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
