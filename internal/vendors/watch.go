package vendors

// Validators returns the ETag and Last-Modified of the vendor's status
// document as the last probe read it in full (empty when it gave none, or
// the page was never read). The probe itself sends them back on the next
// request; the vendor watch keeps them with the vendor's state, so that
// what a replica last saw of the page can be told.
func (t *Triager) Validators(vendor string) (etag, lastModified string) {
	if t.Catalog == nil {
		return "", ""
	}
	v, ok := t.Catalog.Lookup(vendor)
	if !ok {
		return "", ""
	}
	url := v.statusEndpoint()
	if v.StatusKind == StatusAuto {
		d, ok := t.status.detected(v)
		if !ok {
			return "", ""
		}
		url = d.document
	}
	p, ok := t.status.page(url)
	if !ok {
		return "", ""
	}
	return p.etag, p.lastModified
}
