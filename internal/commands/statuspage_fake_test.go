package commands

import (
	"context"
	"fmt"
	"sync"

	"github.com/incident-bot/bot/internal/incident"
)

// fakeStatusPage is the company's status page in memory: it records what
// was published, and fails the next calls when told to.
type fakeStatusPage struct {
	mu       sync.Mutex
	disabled bool
	calls    []publishCall
	fail     []error // returned by the next calls, in order
	n        int
}

type publishCall struct {
	ID string // the incident updated; empty for a create
	U  StatuspageUpdate
}

var _ StatusPage = (*fakeStatusPage)(nil)

func (f *fakeStatusPage) Enabled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.disabled
}

func (f *fakeStatusPage) Publish(_ context.Context, id string, u StatuspageUpdate) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return "", "", err
	}
	f.calls = append(f.calls, publishCall{ID: id, U: u})
	if id == "" {
		f.n++
		id = fmt.Sprintf("sp%04d", f.n)
	}
	return id, "https://stspg.io/" + id, nil
}

func (f *fakeStatusPage) Calls() []publishCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]publishCall(nil), f.calls...)
}

func (f *fakeStatusPage) FailNext(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, errs...)
}

// statusPage is the bot's fake status page.
func (b *testBot) statusPage() *fakeStatusPage { return b.svc.StatusPage.(*fakeStatusPage) }

var errPageRefused = incident.Errorf(incident.Forbidden, "Statuspage refused the API key (401): check STATUSPAGE_API_KEY.")
