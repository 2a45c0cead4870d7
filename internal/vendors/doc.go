// Package vendors knows the SaaS vendors the bot can triage and talks to
// them over HTTP. It owns:
//
//   - The vendor catalog: one embedded YAML file per vendor under catalog/,
//     merged with the operator's VENDORS_FILE vendor by vendor and field by
//     field, filled with defaults and validated (LoadCatalog, Catalog,
//     Vendor). Errors name the file, the line where there is one, and the
//     bad field.
//   - The status-page formats: the registry statusFormats (statuskind.go)
//     maps each StatusKind to the path appended to status_url (and any
//     further documents), the parser of the document served there and a
//     short description; status_kind is one of StatusKinds. Adding a
//     format is one entry, its parser and its fixtures under
//     testdata/status/<kind>/. The parsers live in status.go (Statuspage,
//     Slack, Stripe, Zendesk), statusjson.go (the other JSON formats) and
//     statusfeed.go (RSS and Atom). status_kind auto detects the format
//     (detect.go, also Detect for bot vendors detect); the Triager's
//     status memo (statusprobe.go) remembers what it found per vendor and
//     each document's ETag and Last-Modified, so later probes ask
//     conditionally and reuse the last document on a 304.
//   - The probes: the status page, the one cheap authenticated API call,
//     the rate-limit figures the answer carries, and our own HEALTH_URL.
//   - The classification of an API answer: a CDN's or firewall's
//     challenge or block page first (edge.go: Cloudflare, Akamai, AWS WAF,
//     CloudFront, Fastly), then the per-vendor rules of the catalog, then
//     the HTTP status (402 and 423 mean the account is refused).
//   - The Triager, which runs every check of a vendor concurrently within a
//     deadline, hands the findings to the runbook package for the cause,
//     severity and texts, and scrubs the token out of the report. Triages
//     of one vendor that overlap share one set of probes, and a report is
//     reused for CacheFor, so a storm of triages costs the vendor one
//     request per check.
//
// It does not decide causes or write mitigation texts (package runbook),
// and knows nothing of Slack, incidents or storage.
//
// Tokens are read from the environment variable the catalog names and never
// appear in any report, error or log line this package produces.
package vendors
