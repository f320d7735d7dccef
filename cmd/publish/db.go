package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// errAlreadyPublished refuses to touch an existing version: versions are immutable.
var errAlreadyPublished = errors.New("already published; versions are immutable, publish a new version number")

// catalogDB writes shaders and shader_versions rows (see supabase/migrations/*_catalog.sql).
type catalogDB struct{ conn *pgx.Conn }

func openCatalogDB(ctx context.Context, url string) (*catalogDB, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	return &catalogDB{conn: conn}, nil
}

func (db *catalogDB) Close(ctx context.Context) { db.conn.Close(ctx) }

// existingSHA returns the sha256 of a published version, or "" when there is none.
func (db *catalogDB) existingSHA(ctx context.Context, slug, version string) (string, error) {
	var sha string
	err := db.conn.QueryRow(ctx, `
		select v.sha256 from public.shader_versions v join public.shaders s on s.id = v.shader_id
		where s.slug = $1 and v.version = $2`, slug, version).Scan(&sha)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return sha, err
}

func checkExisting(ctx context.Context, db *catalogDB, items []*item, skipExisting bool, stdout io.Writer) error {
	for _, it := range items {
		sha, err := db.existingSHA(ctx, it.slug(), it.version())
		if err != nil {
			return err
		}
		switch {
		case sha == "":
		case skipExisting && sha == it.pkg.SHA256:
			it.skip = true
		case sha == it.pkg.SHA256:
			return fmt.Errorf("%s: %s %s %w (same content: use --skip-existing to ignore)", it.src, it.slug(), it.version(), errAlreadyPublished)
		default:
			return fmt.Errorf("%s: %s %s %w (different content!)", it.src, it.slug(), it.version(), errAlreadyPublished)
		}
	}
	return nil
}

// insertVersion creates or updates the shaders row and inserts the immutable version row, in one
// transaction. The listing (name, tags, preview, latest_version) follows the newest version only.
func (db *catalogDB) insertVersion(ctx context.Context, it *item) error {
	m := it.pkg.Manifest
	return pgx.BeginFunc(ctx, db.conn, func(tx pgx.Tx) error {
		tags := m.Tags
		if tags == nil {
			tags = []string{}
		}
		var known bool
		if err := tx.QueryRow(ctx, `select exists (select 1 from public.categories where id = $1)`, m.Category).Scan(&known); err != nil {
			return err
		}
		if !known {
			return fmt.Errorf("category %q does not exist in public.categories", m.Category)
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
			m.ShaderID, m.Name, m.Description, m.Category, tags, it.isFree, it.previewKey(), m.Version).Scan(&shaderID)
		if errors.Is(err, pgx.ErrNoRows) { // an older version than the listed one: keep the listing
			err = tx.QueryRow(ctx, `select id from public.shaders where slug = $1`, m.ShaderID).Scan(&shaderID)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig,
			                                    min_blender, min_octane, texture_resolutions)
			values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)`,
			shaderID, m.Version, it.packageKey(), it.pkg.SHA256, it.pkg.Size, string(it.pkg.ManifestJSON), it.sig,
			m.MinBlender, m.MinOctane, m.TextureResolutions)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("%s %s %w", m.ShaderID, m.Version, errAlreadyPublished)
		}
		return err
	})
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
