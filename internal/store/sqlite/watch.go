package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/incident-bot/bot/internal/incident"
)

const vendorWatchCols = `vendor, state, etag, last_modified, next_check_at, errors, owner, lease_until, version, checked_at`

// Watch subscribes a channel to a vendor; the vendor's record is made
// first, so a subscription never lacks one.
func (s *DB) Watch(ctx context.Context, w *incident.Watch) (bool, error) {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = s.now()
	}
	if err := s.acquire(ctx); err != nil {
		return false, fmt.Errorf("sqlite: watch %s: %w", w.Vendor, err)
	}
	defer s.release()
	sts, err := s.prepare(ctx,
		`INSERT INTO vendor_watches (vendor, next_check_at) VALUES (?, ?) ON CONFLICT (vendor) DO NOTHING`,
		`INSERT INTO watches (team_id, channel_id, vendor, created_by, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (team_id, channel_id, vendor) DO NOTHING`)
	if err != nil {
		return false, fmt.Errorf("sqlite: watch %s: %w", w.Vendor, cause(err))
	}
	if _, err := sts[0].ExecContext(ctx, w.Vendor, w.CreatedAt.UnixMicro()); err != nil {
		return false, fmt.Errorf("sqlite: watch %s: %w", w.Vendor, cause(err))
	}
	res, err := sts[1].ExecContext(ctx, w.TeamID, w.ChannelID, w.Vendor, w.CreatedBy, w.CreatedAt.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("sqlite: watch %s: %w", w.Vendor, cause(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Unwatch ends a channel's subscription.
func (s *DB) Unwatch(ctx context.Context, teamID, channelID, vendor string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, fmt.Errorf("sqlite: unwatch %s: %w", vendor, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `DELETE FROM watches WHERE team_id = ? AND channel_id = ? AND vendor = ?`)
	if err != nil {
		return false, fmt.Errorf("sqlite: unwatch %s: %w", vendor, cause(err))
	}
	res, err := st.ExecContext(ctx, teamID, channelID, vendor)
	if err != nil {
		return false, fmt.Errorf("sqlite: unwatch %s: %w", vendor, cause(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Watches lists subscriptions with their vendor's record.
func (s *DB) Watches(ctx context.Context, f incident.WatchFilter) ([]incident.Watched, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: list watches: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `SELECT w.team_id, w.channel_id, w.created_by, w.created_at, `+prefixed("v.", vendorWatchCols)+`
		FROM watches w JOIN vendor_watches v ON v.vendor = w.vendor
		WHERE (? = '' OR w.team_id = ?) AND (? = '' OR w.channel_id = ?) AND (? = '' OR w.vendor = ?)
		ORDER BY w.vendor, w.team_id, w.channel_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list watches: %w", cause(err))
	}
	rows, err := st.QueryContext(ctx, f.TeamID, f.TeamID, f.ChannelID, f.ChannelID, f.Vendor, f.Vendor)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list watches: %w", cause(err))
	}
	defer rows.Close()
	var out []incident.Watched
	for rows.Next() {
		var w incident.Watched
		var created int64
		v, err := scanVendorWatch(rows, &w.TeamID, &w.ChannelID, &w.CreatedBy, &created)
		if err != nil {
			return nil, err
		}
		w.CreatedAt, w.Watch.Vendor, w.Vendor = fromMicros(created), v.Vendor, *v
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list watches: %w", cause(err))
	}
	return out, nil
}

// ClaimVendorWatches leases due vendors. SQLite has one writer and this
// is one statement, so no two callers can claim the same vendor.
func (s *DB) ClaimVendorWatches(ctx context.Context, owner string, n int, now time.Time, lease time.Duration) ([]*incident.VendorWatch, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: claim vendor watches: %w", err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `UPDATE vendor_watches SET owner = ?, lease_until = ?
		WHERE vendor IN (SELECT v.vendor FROM vendor_watches v
			WHERE v.next_check_at <= ? AND (v.owner = '' OR v.lease_until <= ?)
				AND EXISTS (SELECT 1 FROM watches w WHERE w.vendor = v.vendor)
			ORDER BY v.next_check_at, v.vendor LIMIT ?)
		RETURNING `+vendorWatchCols)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim vendor watches: %w", cause(err))
	}
	at := now.UnixMicro()
	rows, err := st.QueryContext(ctx, owner, now.Add(lease).UnixMicro(), at, at, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim vendor watches: %w", cause(err))
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
		return nil, fmt.Errorf("sqlite: claim vendor watches: %w", cause(err))
	}
	return out, nil
}

// SaveVendorWatch writes a vendor's record its owner holds and ends the lease.
func (s *DB) SaveVendorWatch(ctx context.Context, v *incident.VendorWatch, owner string) error {
	state, err := json.Marshal(v.State)
	if err != nil {
		return fmt.Errorf("sqlite: encode the state of %s: %w", v.Vendor, err)
	}
	if err := s.acquire(ctx); err != nil {
		return fmt.Errorf("sqlite: save vendor watch %s: %w", v.Vendor, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `UPDATE vendor_watches SET state = ?, etag = ?, last_modified = ?, next_check_at = ?,
		errors = ?, checked_at = ?, owner = '', lease_until = 0, version = version + 1
		WHERE vendor = ? AND owner = ? RETURNING version`)
	if err != nil {
		return fmt.Errorf("sqlite: save vendor watch %s: %w", v.Vendor, cause(err))
	}
	var version int
	err = st.QueryRowContext(ctx, string(state), v.ETag, v.LastModified, v.NextCheckAt.UnixMicro(), v.Errors,
		v.CheckedAt.UnixMicro(), v.Vendor, owner).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("sqlite: save vendor watch %s: %w", v.Vendor, cause(err))
	}
	v.Version, v.Owner, v.LeaseUntil = version, "", time.Time{}
	return nil
}

// VendorWatch returns a vendor's record.
func (s *DB) VendorWatch(ctx context.Context, vendor string) (*incident.VendorWatch, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: read vendor watch %s: %w", vendor, err)
	}
	defer s.release()
	st, err := s.stmt(ctx, `SELECT `+vendorWatchCols+` FROM vendor_watches WHERE vendor = ?`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read vendor watch %s: %w", vendor, cause(err))
	}
	v, err := scanVendorWatch(st.QueryRowContext(ctx, vendor))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, incident.ErrNotFound
	}
	return v, err
}

// scanVendorWatch reads vendorWatchCols, after the columns before it.
func scanVendorWatch(r scanner, before ...any) (*incident.VendorWatch, error) {
	var (
		v                         incident.VendorWatch
		state                     string
		next, leaseUntil, checked int64
	)
	err := r.Scan(append(before, &v.Vendor, &state, &v.ETag, &v.LastModified, &next, &v.Errors, &v.Owner,
		&leaseUntil, &v.Version, &checked)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read vendor watch: %w", cause(err))
	}
	if err := json.Unmarshal([]byte(state), &v.State); err != nil {
		return nil, fmt.Errorf("sqlite: read the state of %s: %w", v.Vendor, err)
	}
	v.NextCheckAt = fromMicros(next)
	if leaseUntil > 0 {
		v.LeaseUntil = fromMicros(leaseUntil)
	}
	if checked > 0 {
		v.CheckedAt = fromMicros(checked)
	}
	return &v, nil
}

// prefixed qualifies each column of a list with p.
func prefixed(p, cols string) string { return p + strings.ReplaceAll(cols, ", ", ", "+p) }
