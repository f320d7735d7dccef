package testenv

import (
	"bytes"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// V2Package is a schema_version 2 package built in memory: the base zip, each texture set's zip
// by resolution, and the manifest as written.
type V2Package struct {
	Base     []byte
	Sets     map[string][]byte
	Manifest shaderpkg.Manifest
}

// BuildV2Package writes a small valid v2 package of shaderID at version with a texture set per
// resolution (the same file names in each, contents that differ by resolution) and the demo
// catalog's brushed-steel preview, for tests of the parts that publish, download, verify and
// unpack it (the .blend is a stand-in: publish it with --no-vet).
func BuildV2Package(t testing.TB, shaderID, version string, resolutions ...string) V2Package {
	t.Helper()
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: shaderID, Version: version, Name: "Test " + shaderID,
		MaterialName: "OB_Test", Category: "wood", Tags: []string{"wood"}, MinBlender: "3.4", MinOctane: "2024.1"}
	p := V2Package{Sets: map[string][]byte{}}
	for _, res := range resolutions {
		src := fstest.MapFS{
			"albedo.jpg":    {Data: bytes.Repeat([]byte(fmt.Sprintf("\xff\xd8 albedo %s %s ", shaderID, res)), 400)},
			"roughness.jpg": {Data: bytes.Repeat([]byte(fmt.Sprintf("\xff\xd8 roughness %s ", res)), 100)},
		}
		var buf bytes.Buffer
		set, err := shaderpkg.WriteTextureSet(&buf, res, src)
		if err != nil {
			t.Fatal(err)
		}
		m.TextureSets = append(m.TextureSets, set)
		p.Sets[res] = buf.Bytes()
	}
	// A real preview (the publisher renders it into the grid's renditions).
	_, demo := ReadDemoPackage(t, "brushed-steel")
	dp, err := shaderpkg.ReadPackageBytes(demo)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := dp.ReadFile(shaderpkg.PreviewPath)
	if err != nil {
		t.Fatal(err)
	}
	var base bytes.Buffer
	m, err = shaderpkg.WritePackage(&base, m, fstest.MapFS{
		"material.blend":      {Data: []byte("BLENDER-v304 " + shaderID + " " + version)},
		shaderpkg.PreviewPath: {Data: preview},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Base, p.Manifest = base.Bytes(), m
	return p
}
