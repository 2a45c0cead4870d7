package runbook

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestDefaultBookHasEveryCause(t *testing.T) {
	b, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Causes {
		if b.entries[c] == nil {
			t.Errorf("no entry for %s", c)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	full := func() fstest.MapFS {
		m := fstest.MapFS{}
		for _, c := range Causes {
			m[string(c)+".yaml"] = &fstest.MapFile{Data: []byte("summary: s\n")}
		}
		return m
	}
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"missing cause", func() fstest.MapFS { m := full(); delete(m, "healthy.yaml"); return m }(), "no entry for cause healthy"},
		{"unknown cause", func() fstest.MapFS {
			m := full()
			m["x.yaml"] = &fstest.MapFile{Data: []byte("cause: sunspots\n")}
			return m
		}(), `unknown cause "sunspots"`},
		{"unknown field", func() fstest.MapFS {
			m := full()
			m["healthy.yaml"] = &fstest.MapFile{Data: []byte("sumary: s\n")}
			return m
		}(), "field sumary not found"},
		{"bad template", func() fstest.MapFS {
			m := full()
			m["healthy.yaml"] = &fstest.MapFile{Data: []byte("summary: '{{.Vendor.Name'\n")}
			return m
		}(), "healthy.yaml:summary"},
		{"unknown link kind", func() fstest.MapFS {
			m := full()
			m["healthy.yaml"] = &fstest.MapFile{Data: []byte("summary: s\nlinks: [blog]\n")}
			return m
		}(), `unknown link kind "blog"`},
		{"duplicate", func() fstest.MapFS {
			m := full()
			m["again.yaml"] = &fstest.MapFile{Data: []byte("cause: healthy\nsummary: s\n")}
			return m
		}(), "second entry for cause healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.fs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestVendorCommandOverride(t *testing.T) {
	f := base()
	f.API.Class, f.API.HTTPStatus = ClassAuthInvalid, 401
	f.Vendor.SecretCommand = "vault kv put secret/{{.SecretID}} token=$NEW_TOKEN"
	f.Vendor.RestartCommand = "nomad job restart {{.Deployment}}"
	r, err := Diagnose(f)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Mitigation, "\n")
	for _, want := range []string{"vault kv put secret/hubspot-api-token token=$NEW_TOKEN", "nomad job restart hubspot-integration"} {
		if !strings.Contains(all, want) {
			t.Errorf("mitigation lacks %q:\n%s", want, all)
		}
	}
	f.Vendor.SecretCommand = "{{.Nope}}"
	if _, err := Diagnose(f); err == nil || !strings.Contains(err.Error(), "secret command") {
		t.Errorf("bad command template: err = %v", err)
	}
}

// TestPlaceholderNames: names the catalog made up are said to be
// placeholders, with the setting that replaces them; configured ones are
// not.
func TestPlaceholderNames(t *testing.T) {
	f := base()
	f.API.Class, f.API.HTTPStatus = ClassAuthInvalid, 401
	r, err := Diagnose(f)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Mitigation, "\n")
	want := "The names `hubspot-api-token` and `hubspot-integration` are placeholders: " +
		"set yours as `runbook.secret_id` and `runbook.deployment` of `hubspot` in VENDORS_FILE."
	if !strings.Contains(all, want) {
		t.Errorf("mitigation lacks %q:\n%s", want, all)
	}
	f.Vendor.SecretIDPlaceholder = false
	if r, err = Diagnose(f); err != nil {
		t.Fatal(err)
	}
	all = strings.Join(r.Mitigation, "\n")
	if !strings.Contains(all, "The name `hubspot-integration` is a placeholder: set yours as `runbook.deployment` of `hubspot`") || strings.Contains(all, "`hubspot-api-token` is") {
		t.Errorf("with the secret configured:\n%s", all)
	}
	f.Vendor.DeploymentPlaceholder = false
	if r, err = Diagnose(f); err != nil {
		t.Fatal(err)
	}
	if all = strings.Join(r.Mitigation, "\n"); strings.Contains(all, "placeholder") {
		t.Errorf("configured names called placeholders:\n%s", all)
	}
}
