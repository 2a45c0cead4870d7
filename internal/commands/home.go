package commands

// App Home: on app_home_opened the bot publishes the user's Home, the open
// incidents of the workspace they may see (as `list all` shows them from
// their direct-message channel with the app: those of public channels) and
// the watched vendors' state. Who opened Home lately is stored; when an
// incident changes, one job per workspace and debounce window publishes
// their Homes again.

import (
	"context"
	"fmt"
	"time"

	"github.com/incident-bot/bot/internal/incident"
	"github.com/incident-bot/bot/messages"
)

// DefaultTimelineReaction is the reaction that adds a message to a timeline.
const DefaultTimelineReaction = "pushpin"

const (
	// homeRecent is how long after opening Home a user's Home is kept up
	// to date.
	homeRecent = 7 * 24 * time.Hour
	// homeDebounce gathers the changes of a moment into one publish per
	// viewer.
	homeDebounce = 2 * time.Second
	// homeViewersMax bounds the Homes one change publishes again.
	homeViewersMax = 200
)

// homeOpened records the visit and queues the publish of the user's Home.
func (s *Service) homeOpened(ctx context.Context, e Event) error {
	if e.UserID == "" || (e.Tab != "" && e.Tab != "home") {
		return nil
	}
	if err := s.Store.SawHome(ctx, incident.HomeViewer{TeamID: e.TeamID, UserID: e.UserID, ChannelID: e.ChannelID,
		SeenAt: s.Now()}); err != nil {
		return err
	}
	delivery := e.EventID
	if delivery == "" {
		delivery = fmt.Sprintf("home:%s:%s:%d", e.TeamID, e.UserID, s.Now().UnixMicro())
	}
	return s.later(ctx, jobHome, jobArgs{Cmd: Command{DeliveryID: delivery}, Team: e.TeamID, User: e.UserID, Channel: e.ChannelID})
}

// homeChanged queues the publish of the workspace's recent Homes, once per
// debounce window: the job runs when the window closes and reads the
// store then, so every change made in the window is in it.
func (s *Service) homeChanged(ctx context.Context, team string) {
	if team == "" {
		return
	}
	window := s.Now().Truncate(homeDebounce)
	key := fmt.Sprintf("%s:%d", team, window.UnixMicro())
	if err := s.thenAt(ctx, jobHome, key, window.Add(homeDebounce), jobArgs{Team: team}); err != nil {
		s.Log.Warn().Err(err).Str("team", team).Msg("queue the App Home refresh")
	}
}

// runHome publishes one user's Home (a.User), or those of everyone in the
// workspace who opened it lately.
func (s *Service) runHome(ctx context.Context, a jobArgs) error {
	if a.User != "" {
		return s.publishHome(ctx, incident.HomeViewer{TeamID: a.Team, UserID: a.User, ChannelID: a.Channel})
	}
	viewers, err := s.Store.HomeViewers(ctx, a.Team, s.Now().Add(-homeRecent))
	if err != nil {
		return err
	}
	var first error
	for i, v := range viewers {
		if i == homeViewersMax {
			break
		}
		if err := s.publishHome(ctx, v); err != nil {
			s.Log.Warn().Err(err).Str("user", v.UserID).Msg("publish App Home")
			if first == nil && incident.KindOf(err) == incident.Internal {
				first = err
			}
		}
	}
	return first
}

// publishHome renders and publishes one user's Home.
func (s *Service) publishHome(ctx context.Context, v incident.HomeViewer) error {
	visible := v.ChannelID
	if visible == "" {
		visible = "-" // no channel: public incidents only
	}
	f := incident.Filter{TeamID: v.TeamID, OpenOnly: true, VisibleIn: visible, Limit: messages.HomeShown}
	open, err := s.Store.Incidents(ctx, f)
	if err != nil {
		return err
	}
	total := len(open)
	if total == messages.HomeShown {
		if total, err = s.Store.CountIncidents(ctx, f); err != nil {
			return err
		}
	}
	d := messages.HomeData{IncidentsTotal: total, Now: s.Now()}
	for _, inc := range open {
		d.Incidents = append(d.Incidents, messages.HomeIncident{Inc: inc, Link: permalink(inc)})
	}
	d.Vendors, err = s.homeVendors(ctx, v.TeamID)
	if err != nil {
		s.Log.Warn().Err(err).Msg("App Home: read the watched vendors")
	}
	view, err := messages.Home(d)
	if err != nil {
		return err
	}
	return s.Slack.PublishHome(ctx, v.UserID, view)
}

// homeVendors is the workspace's watched vendors, each once however many
// channels watch it, with what the watch last saw of it.
func (s *Service) homeVendors(ctx context.Context, team string) ([]messages.HomeVendor, error) {
	ws, err := s.Store.Watches(ctx, incident.WatchFilter{TeamID: team})
	if err != nil {
		return nil, err
	}
	var out []messages.HomeVendor
	seen := map[string]bool{}
	for _, w := range ws {
		if seen[w.Watch.Vendor] {
			continue
		}
		seen[w.Watch.Vendor] = true
		name, ok := s.Triage.VendorName(w.Watch.Vendor)
		if !ok {
			name = w.Watch.Vendor
		}
		out = append(out, messages.HomeVendor{Name: name, State: w.Vendor.State, Checked: w.Vendor.CheckedAt})
	}
	return out, nil
}
