package jsonkeys

import "testing"

type item struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

type doc struct {
	Name     string  `json:"name"`
	Note     string  `json:"note,omitempty"`
	Res      string  `json:"res" jsonkeys:"nullable"`
	Target   *string `json:"target" jsonkeys:"optional"`
	Items    []item  `json:"items"`
	Other    string  `json:"other"`
	internal string
}

func TestCheck(t *testing.T) {
	_ = doc{}.internal
	for raw, want := range map[string]string{
		`{"name":"a","res":null,"items":[{"path":"p","size":0}],"other":""}`:                        "",
		`{"name":"a","res":"2k","target":null,"items":[],"other":"","note":"n"}`:                    "",
		`{"res":null,"items":[],"other":""}`:                                                        "name is required",
		`{"name":"a","note":null,"res":null,"items":[],"other":""}`:                                 "note must not be null",
		`{"name":"a","res":null,"items":null,"other":""}`:                                           "items must not be null",
		`{"name":"a","res":null,"items":[{"path":"p"}],"other":""}`:                                 "items[0].size is required",
		`{"name":"a","res":null,"items":[{"path":"p","size":1},{"path":null,"size":1}],"other":""}`: "items[1].path must not be null",
		`{"name":"a","res":null,"items":[null],"other":""}`:                                         "items[0] must not be null",
	} {
		err := Check([]byte(raw), doc{})
		if got := ""; err != nil {
			got = err.Error()
			if got != want {
				t.Errorf("%s: %q, want %q", raw, got, want)
			}
		} else if want != "" {
			t.Errorf("%s: accepted, want %q", raw, want)
		}
	}
	if err := Check([]byte(`{"name":"a","res":null,"items":[]}`), doc{}, "other"); err != nil {
		t.Errorf("a skipped key is not required: %v", err)
	}
}
