package vendors

import (
	"errors"
	"testing"
)

func TestSetURLs(t *testing.T) {
	c, err := LoadCatalog("")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetURLs("Stripe", "http://127.0.0.1:9/api", StatusStatuspage, "http://127.0.0.1:9/status"); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Lookup("stripe")
	if v.APIURL != "http://127.0.0.1:9/api" || v.StatusKind != StatusStatuspage || v.StatusURL != "http://127.0.0.1:9/status" {
		t.Errorf("stripe = %s, %s %s", v.APIURL, v.StatusKind, v.StatusURL)
	}
	if err := c.SetURLs("pagerduty", "http://127.0.0.1:9/pd", "", ""); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup("pagerduty"); v.APIURL != "http://127.0.0.1:9/pd" || v.StatusKind != StatusNone {
		t.Errorf("pagerduty = %s, %s", v.APIURL, v.StatusKind)
	}

	var unknown *UnknownVendorError
	if err := c.SetURLs("acme", "http://127.0.0.1:9/api", "", ""); !errors.As(err, &unknown) {
		t.Errorf("unknown vendor: err = %v", err)
	}
	if err := c.SetURLs("hubspot", "ftp://nowhere", "", ""); err == nil {
		t.Error("a bad api_url was accepted")
	}
	if v, _ := c.Lookup("hubspot"); v.APIURL != "https://api.hubapi.com" {
		t.Errorf("a refused change was kept: hubspot api_url %s", v.APIURL)
	}
}
