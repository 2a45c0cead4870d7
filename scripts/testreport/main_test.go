package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testdata/fail.json is `go test -json ./...` of a module with a passing,
// a skipped and a failing test (with subtests), a failing parallel test, a
// test that panics, a package that does not build and one with no tests.
func TestReport(t *testing.T) {
	in, err := os.Open("testdata/fail.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out strings.Builder
	r := newReport(&out, false, 10)
	r.module = "example.com/m"
	if err := r.read(in); err != nil {
		t.Fatal(err)
	}
	if r.finish(time.Now()) {
		t.Error("finish reports success")
	}
	got := out.String()
	for _, want := range []string{
		// a failed test in full: its log, its subtests, the verdicts
		"=== RUN   TestFail\n    a_test.go:8: before the subtests\n=== RUN   TestFail/good\n--- PASS: TestFail/good (0.00s)\n" +
			"=== RUN   TestFail/bad\n    a_test.go:10: want 1, got 2\n--- FAIL: TestFail/bad (0.00s)\n--- FAIL: TestFail (0.00s)\n",
		"    a_test.go:14: parallel failure\n--- FAIL: TestParallelFail (0.00s)\n",
		"FAIL\texample.com/m/a\t0.007s\n",
		// the build error, then the package's line
		"c/c_test.go:5:28: undefined: undefined\nFAIL\texample.com/m/c [build failed]\n",
		// the panic and its stack
		"--- FAIL: TestPanics (0.00s)\npanic: assignment to entry in nil map",
		"b_test.go:6 +0x28\n",
		"FAIL\texample.com/m/b\t0.007s\n",
		"?   \texample.com/m/d\t[no test files]\n",
		"failed tests: a TestFail, a TestParallelFail, b TestPanics\n",
		"failed packages: a c b\n",
		"tests: 3 passed, 4 failed, 1 skipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"quiet when it passes", "not here", "=== RUN   TestPass", "=== RUN   TestOK"} {
		if strings.Contains(got, quiet) {
			t.Errorf("the report shows %q of a test that passed or skipped", quiet)
		}
	}
	// A package's line comes as soon as it ends: a before c, c before b.
	a, c, b := strings.Index(got, "FAIL\texample.com/m/a"), strings.Index(got, "FAIL\texample.com/m/c"), strings.Index(got, "FAIL\texample.com/m/b")
	if !(a < c && c < b) {
		t.Errorf("package lines out of the order they ended in:\n%s", got)
	}
	if !strings.HasSuffix(got, "tests: 3 passed, 4 failed, 1 skipped\n") {
		t.Errorf("the closing line is not last:\n%s", got)
	}
}

func TestReportVerbose(t *testing.T) {
	in, err := os.Open("testdata/fail.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out strings.Builder
	r := newReport(&out, true, 10)
	if err := r.read(in); err != nil {
		t.Fatal(err)
	}
	r.finish(time.Now())
	got := out.String()
	if strings.Count(got, "before the subtests") != 1 || !strings.Contains(got, "quiet when it passes") {
		t.Errorf("-v: every line once:\n%s", got)
	}
	for _, end := range []string{"FAIL\texample.com/m/a\t", "?   \texample.com/m/d\t"} {
		if n := strings.Count(got, end); n != 1 {
			t.Errorf("-v: %q %d times, want once:\n%s", end, n, got)
		}
	}
}

// TestHeartbeat: with nothing printed for a while, a line says what runs.
func TestHeartbeat(t *testing.T) {
	var out strings.Builder
	r := newReport(&out, false, 10)
	r.module = "example.com/m"
	t0 := r.start
	r.heartbeat(t0.Add(40*time.Second), 30*time.Second)
	if got := out.String(); got != "… 40s, building the test binaries\n" {
		t.Errorf("before any package runs: %q", got)
	}
	out.Reset()
	r.read(strings.NewReader(
		`{"Time":"` + t0.Add(50*time.Second).Format(time.RFC3339Nano) + `","Action":"start","Package":"example.com/m/a"}` + "\n" +
			`{"Time":"` + t0.Add(51*time.Second).Format(time.RFC3339Nano) + `","Action":"run","Package":"example.com/m/a","Test":"TestSlow"}` + "\n" +
			`{"Time":"` + t0.Add(52*time.Second).Format(time.RFC3339Nano) + `","Action":"run","Package":"example.com/m/a","Test":"TestLater"}` + "\n" +
			"not json: passed through\n"))
	r.heartbeat(r.last.Add(10*time.Second), 30*time.Second)
	if got := out.String(); got != "not json: passed through\n" {
		t.Errorf("a line was printed recently, yet: %q", got)
	}
	out.Reset()
	r.last = t0.Add(55 * time.Second)
	r.heartbeat(t0.Add(90*time.Second), 30*time.Second)
	if got := out.String(); got != "… 1m30s, still running: a for 40s (TestSlow for 39s)\n" {
		t.Errorf("while a test runs: %q", got)
	}
}

// TestSlowest: a test's time is from its start, or its resumption when it
// is parallel, to its end; a parent of parallel subtests reports 0 s.
func TestSlowest(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(sec float64, action, test string, elapsed float64) string {
		return `{"Time":"` + t0.Add(time.Duration(sec*float64(time.Second))).Format(time.RFC3339Nano) + `","Action":"` + action +
			`","Package":"example.com/m/a","Test":"` + test + `","Elapsed":` + strconv.FormatFloat(elapsed, 'f', -1, 64) + "}\n"
	}
	var out strings.Builder
	r := newReport(&out, false, 10)
	r.module = "example.com/m"
	r.read(strings.NewReader(
		ev(0, "run", "TestParallel", 0) + ev(0, "pause", "TestParallel", 0) +
			ev(0, "run", "TestParent", 0) + ev(0, "run", "TestParent/a", 0) + ev(0, "pause", "TestParent/a", 0) +
			ev(0.1, "cont", "TestParent/a", 0) + ev(2.1, "pass", "TestParent/a", 2) + ev(2.1, "pass", "TestParent", 0) +
			ev(10, "cont", "TestParallel", 0) + ev(11, "pass", "TestParallel", 1) +
			`{"Action":"pass","Package":"example.com/m/a","Elapsed":11}` + "\n"))
	r.finish(t0.Add(12 * time.Second))
	if want := "slowest tests:\n    2.10s  a TestParent\n    1.00s  a TestParallel\n"; !strings.Contains(out.String(), want) {
		t.Errorf("want %q in:\n%s", want, out.String())
	}
}
