package incident

import "context"

// backgroundKey marks a context as background work.
type backgroundKey struct{}

// Background marks ctx as work nobody is waiting on: a job or a timed task,
// as opposed to a request whose acknowledgement Slack times at 3 seconds.
// A store with one writer (SQLite) lets the requests waiting for it go
// first; a store that serves many at once may ignore the mark.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	bg, _ := ctx.Value(backgroundKey{}).(bool)
	return bg
}
