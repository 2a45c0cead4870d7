package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

const vendorWatchCols = `vendor, state, etag, last_modified, next_check_at, errors, owner, lease_until, version, checked_at`

// Watch subscribes a channel to a vendor; the vendor's record is made
// first, so a subscription never lacks one.
func (s *DB) Watch(ctx context.Context, w *incident.Watch) (bool, error) {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now().UTC()
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO vendor_watches (vendor, next_check_at) VALUES ($1, $2)
		ON CONFLICT (vendor) DO NOTHING`, w.Vendor, w.CreatedAt); err != nil {
		return false, fmt.Errorf("postgres: watch %s: %w", w.Vendor, cause(err))
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO watches (team_id, channel_id, vendor, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (team_id, channel_id, vendor) DO NOTHING`,
		w.TeamID, w.ChannelID, w.Vendor, w.CreatedBy, w.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("postgres: watch %s: %w", w.Vendor, cause(err))
	}
	return tag.RowsAffected() == 1, nil
}

// Unwatch ends a channel's subscription.
func (s *DB) Unwatch(ctx context.Context, teamID, channelID, vendor string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM watches WHERE team_id = $1 AND channel_id = $2 AND vendor = $3`,
		teamID, channelID, vendor)
	if err != nil {
		return false, fmt.Errorf("postgres: unwatch %s: %w", vendor, cause(err))
	}
	return tag.RowsAffected() == 1, nil
}

// Watches lists subscriptions with their vendor's record.
func (s *DB) Watches(ctx context.Context, f incident.WatchFilter) ([]incident.Watched, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.team_id, w.channel_id, w.created_by, w.created_at, v.`+
		strings.ReplaceAll(vendorWatchCols, ", ", ", v.")+`
		FROM watches w JOIN vendor_watches v ON v.vendor = w.vendor
		WHERE ($1 = '' OR w.team_id = $1) AND ($2 = '' OR w.channel_id = $2) AND ($3 = '' OR w.vendor = $3)
		ORDER BY w.vendor, w.team_id, w.channel_id`, f.TeamID, f.ChannelID, f.Vendor)
	if err != nil {
		return nil, fmt.Errorf("postgres: list watches: %w", cause(err))
	}
	defer rows.Close()
	var out []incident.Watched
	for rows.Next() {
		var w incident.Watched
		v, err := scanVendorWatch(rows, &w.TeamID, &w.ChannelID, &w.CreatedBy, &w.CreatedAt)
		if err != nil {
			return nil, err
		}
		w.CreatedAt, w.Watch.Vendor, w.Vendor = w.CreatedAt.UTC(), v.Vendor, *v
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list watches: %w", cause(err))
	}
	return out, nil
}

// ClaimVendorWatches leases due vendors. FOR UPDATE SKIP LOCKED lets
// replicas claim side by side: each skips the rows another is claiming.
func (s *DB) ClaimVendorWatches(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*incident.VendorWatch, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE vendor_watches SET owner = $1, lease_until = $2
		WHERE vendor IN (SELECT v.vendor FROM vendor_watches v
			WHERE v.next_check_at <= $3 AND (v.owner = '' OR v.lease_until <= $3)
				AND EXISTS (SELECT 1 FROM watches w WHERE w.vendor = v.vendor)
			ORDER BY v.next_check_at, v.vendor LIMIT $4 FOR UPDATE SKIP LOCKED)
		RETURNING `+vendorWatchCols, owner, now.Add(lease), now, n)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim vendor watches: %w", cause(err))
	}
	defer rows.Close()
	var out []*incident.VendorWatch
	for rows.Next() {
		v, err := scanVendorWatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: claim vendor watches: %w", cause(err))
	}
	return out, nil
}

// SaveVendorWatch writes a vendor's record its owner holds and ends the lease.
func (s *DB) SaveVendorWatch(ctx context.Context, v *incident.VendorWatch, owner string) error {
	state, err := json.Marshal(v.State)
	if err != nil {
		return fmt.Errorf("postgres: encode the state of %s: %w", v.Vendor, err)
	}
	var version int
	err = s.pool.QueryRow(ctx, `UPDATE vendor_watches SET state = $1, etag = $2, last_modified = $3,
		next_check_at = $4, errors = $5, checked_at = $6, owner = '', lease_until = NULL, version = version + 1
		WHERE vendor = $7 AND owner = $8 RETURNING version`,
		string(state), v.ETag, v.LastModified, v.NextCheckAt, v.Errors, nullTime(v.CheckedAt), v.Vendor, owner).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return incident.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("postgres: save vendor watch %s: %w", v.Vendor, cause(err))
	}
	v.Version, v.Owner, v.LeaseUntil = version, "", time.Time{}
	return nil
}

// VendorWatch returns a vendor's record.
func (s *DB) VendorWatch(ctx context.Context, vendor string) (*incident.VendorWatch, error) {
	v, err := scanVendorWatch(s.pool.QueryRow(ctx, `SELECT `+vendorWatchCols+` FROM vendor_watches WHERE vendor = $1`, vendor))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return v, err
}

// scanVendorWatch reads vendorWatchCols, after the columns before it.
func scanVendorWatch(r pgx.Row, before ...any) (*incident.VendorWatch, error) {
	var (
		v                   incident.VendorWatch
		state               string
		leaseUntil, checked pgtype.Timestamptz
	)
	err := r.Scan(append(before, &v.Vendor, &state, &v.ETag, &v.LastModified, &v.NextCheckAt, &v.Errors, &v.Owner,
		&leaseUntil, &v.Version, &checked)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: read vendor watch: %w", cause(err))
	}
	if err := json.Unmarshal([]byte(state), &v.State); err != nil {
		return nil, fmt.Errorf("postgres: read the state of %s: %w", v.Vendor, err)
	}
	v.NextCheckAt, v.LeaseUntil, v.CheckedAt = v.NextCheckAt.UTC(), fromNull(leaseUntil), fromNull(checked)
	return &v, nil
}
