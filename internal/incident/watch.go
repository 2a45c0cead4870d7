package incident

import (
	"context"
	"time"
)

// Watch is one channel's subscription to a vendor: the channel is told
// whenever the vendor's state changes (/incident watch VENDOR).
type Watch struct {
	TeamID    string
	ChannelID string
	Vendor    string // catalog key
	CreatedBy string // Slack user id
	CreatedAt time.Time
}

// WatchFilter selects subscriptions for WatchStore.Watches; an empty field
// selects every value.
type WatchFilter struct {
	TeamID    string
	ChannelID string
	Vendor    string
}

// Watched is a subscription with its vendor's record as it stands: what
// `/incident watching` and App Home show.
type Watched struct {
	Watch
	Vendor VendorWatch
}

// VendorWatch is what the watcher keeps of one vendor, whoever watches it:
// what it last saw, when to look again, and which replica is looking.
type VendorWatch struct {
	Vendor string // catalog key
	// State is what the last check observed; its zero value (Checked zero)
	// before the first check.
	State VendorState
	// The status document's validators when it was last read in full
	// (ETag, Last-Modified), as the probe's conditional requests use them.
	ETag, LastModified string
	NextCheckAt        time.Time // not checked before
	Errors             int       // checks in a row whose status page could not be read (back-off)
	// Owner holds the lease until LeaseUntil: one replica checks a vendor
	// at a time; another may claim it once the lease has passed.
	Owner      string
	LeaseUntil time.Time
	// Version counts the saved checks: the keys of the changes a check
	// finds include it, so a check taken over after a crash posts what the
	// crashed one promised, once.
	Version   int
	CheckedAt time.Time // zero before the first check
}

// VendorState is a vendor's state as the watcher observed it: the status
// page's indicator, its open incidents and maintenances in the vendor's
// own words, the components it says are degraded, and our probe.
type VendorState struct {
	Checked   time.Time `json:"checked,omitzero"`
	Indicator string    `json:"indicator,omitempty"` // none, minor, major, critical, maintenance, unknown
	// PageError says why the status page could not be read; empty when it was.
	PageError    string            `json:"page_error,omitempty"`
	Incidents    []VendorItem      `json:"incidents,omitempty"`
	Maintenances []VendorItem      `json:"maintenances,omitempty"` // in progress only
	Degraded     []VendorComponent `json:"degraded,omitempty"`
	// Probe is our API probe: "ok", "failing", or empty where it did not
	// run (no token, or a vendor watched by its status page alone).
	Probe string `json:"probe,omitempty"`
	// ProbeDetail is what the failing probe saw, in a line.
	ProbeDetail string `json:"probe_detail,omitempty"`
	// Cause, Summary and Evidence are the triage's verdict on this check.
	Cause    string   `json:"cause,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	// Healthy counts the checks in a row that found nothing wrong: the
	// all-clear is offered after a few.
	Healthy int `json:"healthy,omitempty"`
	// Bad is true from the first check that found the vendor in trouble
	// until the all-clear.
	Bad bool `json:"bad,omitempty"`
	// VendorPostedAt is when the vendor first posted about the bad spell
	// going on (its incident's own start time, or when we first saw it).
	VendorPostedAt time.Time `json:"vendor_posted_at,omitzero"`
	// FirstFailingAt is when our probe started failing in this spell;
	// zero while it passes. Vendor lag starts here.
	FirstFailingAt time.Time `json:"first_failing_at,omitzero"`
}

// VendorItem is one open incident or maintenance on a vendor's status page.
type VendorItem struct {
	ID         string    `json:"id,omitempty"` // the page's id; the name where it gives none
	Name       string    `json:"name"`
	Status     string    `json:"status,omitempty"`
	Impact     string    `json:"impact,omitempty"`
	URL        string    `json:"url,omitempty"`
	Update     string    `json:"update,omitempty"` // the latest update, in the vendor's words
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	Components []string  `json:"components,omitempty"`
}

// VendorComponent is one component the page says is not operational.
type VendorComponent struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// WatchStore keeps the vendor watch: subscriptions and the watcher's record
// of each vendor. Implementations run the storetest watch suite.
type WatchStore interface {
	// Watch subscribes w's channel to w's vendor (CreatedAt filled when
	// zero); added is false when it was already. The vendor gets a record,
	// due at once, when it has none.
	Watch(ctx context.Context, w *Watch) (added bool, err error)
	// Unwatch ends a channel's subscription; removed is false when there
	// was none. The vendor's record stays (its state is history).
	Unwatch(ctx context.Context, teamID, channelID, vendor string) (removed bool, err error)
	// Watches lists the subscriptions the filter selects with their
	// vendor's record, by vendor, then workspace, then channel.
	Watches(ctx context.Context, f WatchFilter) ([]Watched, error)
	// ClaimVendorWatches leases up to n vendors that some channel watches
	// and whose check is due (NextCheckAt at or before now) to owner until
	// now+lease, oldest due first: those nobody holds and those whose
	// lease has passed. A vendor is claimed by one caller only, whatever
	// the number of callers and replicas.
	ClaimVendorWatches(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*VendorWatch, error)
	// SaveVendorWatch writes v (state, validators, next check, errors,
	// checked time) if owner still holds its lease,
	// ends the lease and bumps v.Version; otherwise it returns ErrConflict
	// and writes nothing.
	SaveVendorWatch(ctx context.Context, v *VendorWatch, owner string) error
	// VendorWatch returns a vendor's record; ErrNotFound when nobody ever
	// watched it.
	VendorWatch(ctx context.Context, vendor string) (*VendorWatch, error)
}
