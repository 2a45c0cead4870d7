// Command testreport turns `go test -json` into what a person running
// `make test` wants to see while it runs (scripts/test.sh pipes into it):
//
//   - a line as each package finishes, in go test's own format
//     ("ok  \tpkg\t12.3s", "FAIL\tpkg\t4.5s", "?   \tpkg\t[no test files]"),
//     in the order the packages finish, not the order go test lists them;
//   - the full output of every failed test (its subtests' too) as soon as
//     it fails, and everything a failed package printed outside its tests
//     (a panic, a timeout, a build error);
//   - when nothing was printed for a while (-every), what is still going
//     on: the build, or which test of which package has been running how
//     long;
//   - at the end the slowest tests and one closing line,
//     "tests: N passed, N failed, N skipped".
//
// -v prints every line of test output as it comes, as go test -v does.
// -json FILE keeps a copy of the raw stream (for `go test -json` figures).
// -start tells when go test started, for the times it prints.
// Lines that are not JSON are passed through. It exits 1 when a test or
// package failed, 0 otherwise.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	verbose := flag.Bool("v", false, "print all test output as it comes")
	every := flag.Duration("every", 30*time.Second, "say what is still running after this long without a line")
	slowest := flag.Int("slowest", 10, "list this many of the slowest tests at the end")
	rawFile := flag.String("json", "", "also write the raw go test -json stream to this file")
	module := flag.String("module", "", "the module path, left out of package names in the summary")
	since := flag.Int64("start", 0, "when go test started, in Unix seconds (default: now)")
	flag.Parse()

	in := io.Reader(os.Stdin)
	if *rawFile != "" {
		f, err := os.Create(*rawFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = io.TeeReader(os.Stdin, f)
	}
	r := newReport(os.Stdout, *verbose, *slowest)
	r.module = *module
	if *since > 0 {
		r.start = time.Unix(*since, 0)
	}
	if *every > 0 {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(*every / 3)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case now := <-t.C:
					r.heartbeat(now, *every)
				}
			}
		}()
	}
	if err := r.read(in); err != nil {
		fmt.Fprintln(os.Stderr, "testreport: reading go test's output:", err)
		os.Exit(2)
	}
	if !r.finish(time.Now()) {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json), with the build
// events of Go 1.24 on.
type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string // a package's fail: the package that did not build
}

type pkgState struct {
	started time.Time      // of the first event: the test binary runs
	out     []string       // output outside any test
	tests   map[string]*tt // by top-level test name
}

// tt is a top-level test: its output and its subtests', in order.
type tt struct {
	started time.Time
	out     []string
	done    bool
}

// elapsed is the test's time from its start to e, its end: a test whose
// subtests are parallel reports 0 s for itself, being done before they run.
func (t *tt) elapsed(e event) float64 {
	if e.Time.IsZero() || t.started.IsZero() {
		return e.Elapsed
	}
	return max(e.Elapsed, e.Time.Sub(t.started).Seconds())
}

type slow struct {
	pkg, test string
	elapsed   float64
}

type report struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	nSlow   int
	module  string // left out of package names in the summary

	start, last             time.Time // of the report, of the last line printed
	pkgs                    map[string]*pkgState
	passed, failed, skipped int
	failedPkgs              []string
	failedTests             []string
	slow                    []slow
}

func newReport(w io.Writer, verbose bool, nSlow int) *report {
	now := time.Now()
	return &report{w: w, verbose: verbose, nSlow: nSlow, start: now, last: now, pkgs: map[string]*pkgState{}}
}

// printf writes a line (or lines) and remembers when. The caller holds mu.
func (r *report) printf(format string, args ...any) {
	fmt.Fprintf(r.w, format, args...)
	r.last = time.Now()
}

func (r *report) read(in io.Reader) error {
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var e event
			if line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
				if line[len(line)-1] != '\n' {
					line = append(line, '\n')
				}
				r.mu.Lock()
				r.printf("%s", line)
				r.mu.Unlock()
			} else {
				r.event(e)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (r *report) pkg(name string, at time.Time) *pkgState {
	p := r.pkgs[name]
	if p == nil {
		p = &pkgState{started: at, tests: map[string]*tt{}}
		r.pkgs[name] = p
	}
	return p
}

func (r *report) event(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Action {
	case "build-output":
		r.printf("%s", e.Output)
		return
	case "build-fail":
		return
	}
	p := r.pkg(e.Package, e.Time)
	top, _, sub := strings.Cut(e.Test, "/")
	var t *tt
	if e.Test != "" {
		t = p.tests[top]
		if t == nil {
			t = &tt{started: e.Time}
			p.tests[top] = t
		}
	}
	switch e.Action {
	case "cont":
		if !sub {
			t.started = e.Time // a parallel test's time starts when it resumes
		}
	case "output":
		if t != nil {
			t.out = append(t.out, e.Output)
		} else {
			p.out = append(p.out, e.Output)
		}
		if r.verbose && (t != nil || !endLine(e)) {
			r.printf("%s", e.Output)
		}
	case "pass", "skip":
		if t == nil {
			r.pkgDone(e, p)
			return
		}
		if e.Action == "pass" {
			r.passed++
		} else {
			r.skipped++
		}
		if !sub {
			r.slow = append(r.slow, slow{e.Package, e.Test, t.elapsed(e)})
			t.done, t.out = true, nil
		}
	case "fail":
		if t == nil {
			r.pkgDone(e, p)
			return
		}
		r.failed++
		if !sub {
			r.slow = append(r.slow, slow{e.Package, e.Test, t.elapsed(e)})
			r.failedTests = append(r.failedTests, r.short(e.Package)+" "+e.Test)
			if !r.verbose {
				r.printf("%s", strings.Join(t.out, ""))
			}
			t.done, t.out = true, nil
		}
	}
}

// pkgDone prints the package's line; for a failed package, first what it
// printed outside its tests and the output of tests that never finished
// (a panic or a timeout ends the binary in the middle of one).
func (r *report) pkgDone(e event, p *pkgState) {
	defer delete(r.pkgs, e.Package)
	switch {
	case e.Action == "skip":
		r.printf("?   \t%s\t[no test files]\n", e.Package)
	case e.Action == "pass":
		r.printf("ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
	default:
		r.failedPkgs = append(r.failedPkgs, r.short(e.Package))
		if !r.verbose {
			names := make([]string, 0, len(p.tests))
			for name, t := range p.tests {
				if !t.done && len(t.out) > 0 {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			for _, name := range names {
				r.printf("%s", strings.Join(p.tests[name].out, ""))
			}
			for _, l := range p.out {
				if l != "FAIL\n" && l != "PASS\n" && !strings.HasPrefix(l, "FAIL\t"+e.Package) {
					r.printf("%s", l)
				}
			}
		}
		switch {
		case e.FailedBuild != "":
			r.printf("FAIL\t%s [build failed]\n", e.Package)
		default:
			r.printf("FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
		}
	}
}

// endLine reports whether e is go test's line for the end of its package,
// which pkgDone prints.
func endLine(e event) bool {
	for _, p := range []string{"ok  \t", "FAIL\t", "?   \t"} {
		if strings.HasPrefix(e.Output, p+e.Package) {
			return true
		}
	}
	return false
}

// heartbeat says what is going on when nothing was printed for every.
func (r *report) heartbeat(now time.Time, every time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.last) < every {
		return
	}
	r.printf("… %s, %s\n", round(now.Sub(r.start)), r.status(now))
}

// status is what is running: the longest-running test of each package
// whose binary runs, or the build when none does yet.
func (r *report) status(now time.Time) string {
	if len(r.pkgs) == 0 {
		return "building the test binaries"
	}
	names := make([]string, 0, len(r.pkgs))
	for name := range r.pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	var parts []string
	for _, name := range names {
		p := r.pkgs[name]
		var longest string
		var since time.Time
		for tn, t := range p.tests {
			if !t.done && (longest == "" || t.started.Before(since)) {
				longest, since = tn, t.started
			}
		}
		s := r.short(name) + " for " + round(now.Sub(p.started))
		if longest != "" {
			s += fmt.Sprintf(" (%s for %s)", longest, round(now.Sub(since)))
		}
		parts = append(parts, s)
	}
	return "still running: " + strings.Join(parts, "; ")
}

// finish prints the slowest tests and the closing line, and reports
// whether everything passed.
func (r *report) finish(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A package whose binary was cut off has no end event.
	names := make([]string, 0, len(r.pkgs))
	for name := range r.pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r.pkgDone(event{Action: "fail", Package: name, Elapsed: now.Sub(r.pkgs[name].started).Seconds()}, r.pkgs[name])
	}
	sort.SliceStable(r.slow, func(i, j int) bool { return r.slow[i].elapsed > r.slow[j].elapsed })
	for i, s := range r.slow {
		if i == r.nSlow || s.elapsed < 0.1 {
			break
		}
		if i == 0 {
			r.printf("slowest tests:\n")
		}
		r.printf("  %6.2fs  %s %s\n", s.elapsed, r.short(s.pkg), s.test)
	}
	if len(r.failedTests) > 0 {
		r.printf("failed tests: %s\n", strings.Join(r.failedTests, ", "))
	}
	if len(r.failedPkgs) > 0 {
		r.printf("failed packages: %s\n", strings.Join(r.failedPkgs, " "))
	}
	r.printf("took %s\n", round(now.Sub(r.start)))
	r.printf("tests: %d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped)
	return r.failed == 0 && len(r.failedPkgs) == 0
}

// short is a package path without the module's: cmd/bot.
func (r *report) short(pkg string) string {
	if r.module != "" && strings.HasPrefix(pkg, r.module+"/") {
		return pkg[len(r.module)+1:]
	}
	return pkg
}

func round(d time.Duration) string { return d.Round(time.Second).String() }
