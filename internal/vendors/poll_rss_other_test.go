//go:build !(linux || darwin || freebsd)

package vendors

// maxRSSBytes is unknown here.
func maxRSSBytes() int64 { return 0 }
