// Package deploy_test holds the packaging checks: the Dockerfile builds the
// binary the way the Makefile does and runs it as non-root; the binary that
// build line makes is static and stamped; the Kubernetes manifests under
// deploy/ agree with the bot's routes, port, configuration and the
// Dockerfile. Docker itself is not needed: what a container build would
// prove about the binary is proved by running the Dockerfile's own go build
// line here.
//
// What these tests know of the bot comes from where an operator learns it:
// README.md's configuration table (the variables and their defaults) and
// the binary itself, built once with the Dockerfile's line and run (bot
// version, bot vendors --json, bot doctor). The checks that need the binary
// are skipped with -short.
package deploy_test

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const repoRoot = ".."

func TestMain(m *testing.M) {
	code := m.Run()
	if bot.dir != "" {
		os.RemoveAll(bot.dir)
	}
	os.Exit(code)
}

// --- Dockerfile and Makefile -------------------------------------------

// dockerInstr is one Dockerfile instruction, continuation lines joined.
type dockerInstr struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

// dockerStage is one FROM … section.
type dockerStage struct {
	image, name string
	instrs      []dockerInstr
}

func (s dockerStage) all(cmd string) []string {
	var out []string
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func (s dockerStage) last(cmd string) string {
	all := s.all(cmd)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// parseDockerfile reads the stages of a Dockerfile: comments dropped,
// continuation lines joined.
func parseDockerfile(t *testing.T, file string) []dockerStage {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var logical []string
	var cur strings.Builder
	for _, l := range strings.Split(string(raw), "\n") {
		tl := strings.TrimSpace(l)
		if tl == "" || strings.HasPrefix(tl, "#") {
			continue
		}
		if strings.HasSuffix(tl, `\`) {
			cur.WriteString(strings.TrimSuffix(tl, `\`) + " ")
			continue
		}
		cur.WriteString(tl)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	var stages []dockerStage
	for _, l := range logical {
		cmd, args, _ := strings.Cut(l, " ")
		cmd, args = strings.ToUpper(cmd), strings.TrimSpace(args)
		if cmd == "FROM" {
			var st dockerStage
			f := strings.Fields(args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") { // --platform=…
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("%s: FROM without an image", file)
			}
			st.image = f[0]
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if cmd == "ARG" {
				continue // global ARGs before the first FROM
			}
			t.Fatalf("%s: %s before any FROM", file, cmd)
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, dockerInstr{cmd, args})
	}
	if len(stages) == 0 {
		t.Fatalf("%s: no FROM", file)
	}
	return stages
}

// shellWords splits a POSIX shell command line into words: quotes and
// backslashes as sh reads them, no expansion.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New(`unterminated "`)
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// goBuild is a `go build` command line taken apart.
type goBuild struct {
	env     map[string]string // assignments before `go`
	flags   []string          // build flags, -o and its value left out
	ldflags string
	pkg     string
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// parseGoBuild finds `go build` in a shell command line (words already
// split) and takes it apart.
func parseGoBuild(words []string) (goBuild, error) {
	i := slices.IndexFunc(words, func(w string) bool { return w == "go" || w == "$(GO)" })
	if i < 0 || i+1 >= len(words) || words[i+1] != "build" {
		return goBuild{}, errors.New("no `go build`")
	}
	b := goBuild{env: map[string]string{}}
	for j := i - 1; j >= 0 && assignment.MatchString(words[j]); j-- {
		k, v, _ := strings.Cut(words[j], "=")
		b.env[k] = v
	}
	args := words[i+2:]
	if k := slices.IndexFunc(args, func(w string) bool { return w == "&&" || w == ";" || w == "||" }); k >= 0 {
		args = args[:k]
	}
	for j := 0; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-o":
			j++
		case a == "-ldflags" && j+1 < len(args):
			j++
			b.ldflags = args[j]
			b.flags = append(b.flags, "-ldflags", args[j])
		case strings.HasPrefix(a, "-ldflags="):
			b.ldflags = strings.TrimPrefix(a, "-ldflags=")
			b.flags = append(b.flags, "-ldflags", b.ldflags)
		case strings.HasPrefix(a, "-"):
			b.flags = append(b.flags, a)
		default:
			if b.pkg != "" {
				return b, fmt.Errorf("two packages: %s and %s", b.pkg, a)
			}
			b.pkg = a
		}
	}
	if b.pkg == "" {
		return b, errors.New("`go build` names no package")
	}
	return b, nil
}

// withVersion puts version where a build line has its version variable:
// ${VERSION} or $VERSION (Dockerfile), $(VERSION) (Makefile).
func (b goBuild) withVersion(version string) goBuild {
	r := strings.NewReplacer("${VERSION}", version, "$VERSION", version, "$(VERSION)", version)
	out := goBuild{env: b.env, pkg: b.pkg, ldflags: r.Replace(b.ldflags)}
	for _, f := range b.flags {
		out.flags = append(out.flags, r.Replace(f))
	}
	return out
}

// dockerBuild is the go build line of the Dockerfile's build stage.
func dockerBuild(t *testing.T, stages []dockerStage) (dockerStage, goBuild) {
	t.Helper()
	for _, st := range stages {
		for _, run := range st.all("RUN") {
			words, err := shellWords(run)
			if err != nil {
				t.Fatalf("Dockerfile RUN %q: %v", run, err)
			}
			for len(words) > 0 && strings.HasPrefix(words[0], "--") { // --mount=…
				words = words[1:]
			}
			if b, err := parseGoBuild(words); err == nil {
				return st, b
			}
		}
	}
	t.Fatal("Dockerfile: no stage runs `go build`")
	return dockerStage{}, goBuild{}
}

// makeBuild is the go build line of the Makefile's build target, with its
// variables ($(LDFLAGS), $(GO)) expanded.
func makeBuild(t *testing.T) goBuild {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	var recipe []string
	inBuild := false
	for _, l := range strings.Split(string(raw), "\n") {
		if m := regexp.MustCompile(`^([A-Z_]+)\s*[:?]?=\s*(.*)$`).FindStringSubmatch(l); m != nil {
			vars[m[1]] = m[2]
		}
		switch {
		case strings.HasPrefix(l, "build:"):
			inBuild = true
		case inBuild && strings.HasPrefix(l, "\t"):
			recipe = append(recipe, strings.TrimSpace(l))
		default:
			inBuild = false
		}
	}
	for _, line := range recipe {
		line = strings.ReplaceAll(line, "$(LDFLAGS)", vars["LDFLAGS"])
		words, err := shellWords(line)
		if err != nil {
			t.Fatalf("Makefile build recipe %q: %v", line, err)
		}
		if b, err := parseGoBuild(words); err == nil {
			return b
		}
	}
	t.Fatal("Makefile: the build target runs no `go build`")
	return goBuild{}
}

// TestDockerfileBuildsLikeTheMakefile checks that the Dockerfile's build
// stage compiles with the same environment, flags and ldflags as `make
// build`, from a Go image of the go.mod's version.
func TestDockerfileBuildsLikeTheMakefile(t *testing.T) {
	stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	st, docker := dockerBuild(t, stages)
	mk := makeBuild(t)
	const v = "VERSION-PLACEHOLDER"
	d, m := docker.withVersion(v), mk.withVersion(v)

	if !slices.Equal(d.flags, m.flags) {
		t.Errorf("build flags differ:\n Dockerfile: %q\n Makefile:   %q", d.flags, m.flags)
	}
	if !strings.Contains(d.ldflags, "-X main.version="+v) {
		t.Errorf("Dockerfile ldflags %q do not stamp main.version with the VERSION build arg", docker.ldflags)
	}
	if d.pkg != m.pkg {
		t.Errorf("package: Dockerfile builds %s, Makefile %s", d.pkg, m.pkg)
	}
	if d.env["CGO_ENABLED"] != "0" || m.env["CGO_ENABLED"] != "0" {
		t.Errorf("CGO_ENABLED: Dockerfile %q, Makefile %q; both must be 0 for a static binary", d.env["CGO_ENABLED"], m.env["CGO_ENABLED"])
	}
	for k := range d.env {
		if k != "CGO_ENABLED" && k != "GOOS" && k != "GOARCH" {
			t.Errorf("Dockerfile build sets %s, which make build does not", k)
		}
	}
	if !slices.ContainsFunc(st.all("ARG"), func(a string) bool { return a == "VERSION" || strings.HasPrefix(a, "VERSION=") }) {
		t.Error("the build stage has no ARG VERSION: docker build --build-arg VERSION=… would not reach the build")
	}

	// golang:X.Y matches go.mod's go directive.
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVer == nil {
		t.Fatal("go.mod has no go directive")
	}
	if want := "golang:" + string(goVer[1]); st.image != want && !strings.HasPrefix(st.image, want+"-") && !strings.HasPrefix(st.image, want+".") {
		t.Errorf("build stage image %s, want %s (go.mod says go %s)", st.image, want, goVer[1])
	}
}

// TestDockerfileFinalStage checks the image that runs: small static base,
// non-root, the binary as entrypoint running serve, the port serve listens
// on by default, and a volume where the default SQLite database lives.
func TestDockerfileFinalStage(t *testing.T) {
	stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	final := stages[len(stages)-1]
	if len(stages) < 2 {
		t.Error("the Dockerfile has one stage: build in one, copy the binary into a small one")
	}
	distroless := strings.HasPrefix(final.image, "gcr.io/distroless/static")
	if !distroless && final.image != "scratch" {
		t.Errorf("final image %s: want gcr.io/distroless/static… or scratch", final.image)
	}

	user := final.last("USER")
	name, _, _ := strings.Cut(user, ":")
	if user == "" || name == "root" || name == "0" {
		t.Errorf("final stage USER %q: the bot must run as a non-root user", user)
	} else if _, err := strconv.Atoi(name); err != nil {
		t.Errorf("USER %s is a name: Kubernetes' runAsNonRoot can only verify a numeric user", user)
	}

	if got := final.last("ENTRYPOINT"); got != `["/bot"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/bot\"]", got)
	}
	if got := final.last("CMD"); got != `["serve"]` {
		t.Errorf("CMD %s, want [\"serve\"]", got)
	}
	if !slices.ContainsFunc(final.all("COPY"), func(c string) bool {
		return strings.HasPrefix(c, "--from=") && strings.HasSuffix(c, " /bot")
	}) {
		t.Error("the final stage copies no binary to /bot from the build stage")
	}
	if hc := final.last("HEALTHCHECK"); hc != "" && !strings.EqualFold(hc, "NONE") {
		t.Errorf("HEALTHCHECK %s: %s has no shell or curl to run it; leave health to the orchestrator's probes", hc, final.image)
	}

	// The default configuration: BOT_ADDR and DATABASE_URL as README.md
	// documents them (TestBinaryDefaults checks that the binary agrees).
	addr, databaseURL := listenAddr(t, nil), databaseURLOf(t, nil)
	_, port, _ := strings.Cut(addr, ":")
	if !slices.Contains(strings.Fields(final.last("EXPOSE")), port) {
		t.Errorf("EXPOSE %q does not include %s, the port bot serve listens on by default", final.last("EXPOSE"), port)
	}
	dataDir := dockerDataDir(t, final, databaseURL)
	if !slices.ContainsFunc(final.all("VOLUME"), func(v string) bool { return strings.Contains(v, `"`+dataDir+`"`) || v == dataDir }) {
		t.Errorf("no VOLUME for %s, where the default %s keeps the database", dataDir, databaseURL)
	}
	if !slices.ContainsFunc(final.all("COPY"), func(c string) bool {
		return strings.Contains(c, "--chown=") && strings.HasSuffix(c, " "+dataDir)
	}) {
		t.Errorf("the final stage does not create %s owned by the non-root user: a fresh volume there would not be writable", dataDir)
	}
}

// dockerDataDir is the directory in the image where the database at
// databaseURL (relative to WORKDIR) lives.
func dockerDataDir(t *testing.T, final dockerStage, databaseURL string) string {
	t.Helper()
	file, ok := sqlitePath(databaseURL)
	if !ok {
		t.Fatalf("%s is no SQLite database: the image keeps no data", databaseURL)
	}
	dir := path.Dir(file)
	if !path.IsAbs(dir) {
		wd := final.last("WORKDIR")
		if wd == "" {
			wd = "/"
		}
		dir = path.Join(wd, dir)
	}
	return dir
}

// TestDockerignore checks that the build context leaves out secrets and the
// repository's history, and keeps every file the build needs.
func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			if strings.HasPrefix(l, "!") {
				t.Fatalf(".dockerignore: exceptions (%s) are beyond this test's matcher", l)
			}
			patterns = append(patterns, strings.TrimPrefix(path.Clean(l), "/"))
		}
	}
	ignored := func(file string) bool {
		for _, p := range patterns {
			for f := file; f != "."; f = path.Dir(f) {
				if ok, _ := path.Match(p, f); ok {
					return true
				}
				if rest, ok := strings.CutPrefix(p, "**/"); ok {
					for g := f; ; {
						if m, _ := path.Match(rest, g); m {
							return true
						}
						_, after, found := strings.Cut(g, "/")
						if !found {
							break
						}
						g = after
					}
				}
			}
		}
		return false
	}
	for _, f := range []string{".env", ".git/config", "data/bot.db", "bot"} {
		if !ignored(f) {
			t.Errorf(".dockerignore lets %s into the build context", f)
		}
	}
	// Every file `go build ./cmd/bot` reads from this module.
	list := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`,
		"./cmd/bot")
	list.Dir = repoRoot
	out, err := list.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		needed = append(needed, filepath.ToSlash(rel))
	}
	if len(needed) < 10 {
		t.Fatalf("go list found only %v", needed)
	}
	for _, f := range needed {
		if ignored(f) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", f)
		}
	}
}

// --- the binary -------------------------------------------------------

// botVersion is the version the tests stamp into the binary.
const botVersion = "v9.9.9-packaging-test"

// bot is the binary as the Dockerfile builds it, built once by builtBot
// for every test that runs it, in dir (removed by TestMain).
var bot struct {
	once      sync.Once
	dir, path string
	err       error
}

// builtBot builds the bot with the Dockerfile's own go build line
// (CGO_ENABLED=0, its flags, botVersion stamped) the first time it is
// called, and returns the binary's path. It skips with -short.
func builtBot(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary: skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	bot.once.Do(func() {
		bot.err = errors.New("the first build of the binary failed") // until it succeeds
		_, docker := dockerBuild(t, parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile")))
		b := docker.withVersion(botVersion)
		if bot.dir, err = os.MkdirTemp("", "packaging-test-"); err != nil {
			bot.err = err
			return
		}
		bin := filepath.Join(bot.dir, "bot")
		args := append([]string{"build"}, b.flags...)
		args = append(args, "-o", bin, b.pkg)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			bot.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("go %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		bot.path, bot.err = bin, nil
	})
	if bot.err != nil {
		t.Fatal(bot.err)
	}
	return bot.path
}

// runBot runs the built bot with args in dir, with env and PATH as its
// whole environment (nothing of this process's, so no real token), and
// returns its standard output and error.
func runBot(t *testing.T, dir string, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := builtBot(t) // built first: the build is not the run's to time
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// doctorLine is one line of bot doctor's report: "%-4s %-14s %s".
type doctorLine struct{ mark, what, detail string }

// botDoctor runs bot doctor on env in an empty working directory, with
// made-up Slack credentials that a Slack stand-in refuses (so nothing
// leaves the machine), and returns its lines by check and the directory.
func botDoctor(t *testing.T, env map[string]string) (map[string]doctorLine, string) {
	t.Helper()
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
	}))
	t.Cleanup(slack.Close)
	all := map[string]string{}
	for k, v := range env {
		all[k] = v
	}
	all["SLACK_BOT_TOKEN"], all["SLACK_SIGNING_SECRET"], all["SLACK_APP_TOKEN"] = "xoxb-packaging-test", "packaging-test", ""
	all["SLACK_API_URL"] = slack.URL + "/api/"
	dir := t.TempDir()
	out, errOut, err := runBot(t, dir, all, "doctor")
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("bot doctor: %v\n%s%s", err, out, errOut)
	}
	lines := map[string]doctorLine{}
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if len(l) < 20 {
			t.Fatalf("bot doctor: short line %q in:\n%s", l, out)
		}
		dl := doctorLine{strings.TrimSpace(l[:4]), strings.TrimSpace(l[5:19]), l[20:]}
		lines[dl.what] = dl
	}
	return lines, dir
}

// doctorAddr is the address bot doctor says serve would listen on: the
// configuration line's "BOT_ADDR …" in HTTP mode.
func doctorAddr(t *testing.T, lines map[string]doctorLine) string {
	t.Helper()
	l := lines["configuration"]
	m := regexp.MustCompile(`BOT_ADDR (\S+)\)$`).FindStringSubmatch(l.detail)
	if l.mark != "ok" || m == nil {
		t.Fatalf("bot doctor's configuration line %+v: want ok, naming BOT_ADDR", l)
	}
	return m[1]
}

// vendorRow is one vendor of bot vendors --json, the fields read here.
type vendorRow struct {
	Key      string `json:"key"`
	TokenEnv string `json:"token_env"`
}

// botVendors is bot vendors --json: the built-in catalog.
func botVendors(t *testing.T) []vendorRow {
	t.Helper()
	out, errOut, err := runBot(t, t.TempDir(), nil, "vendors", "--json")
	if err != nil {
		t.Fatalf("bot vendors --json: %v\n%s", err, errOut)
	}
	var rows []vendorRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
		t.Fatalf("bot vendors --json: %d vendors, %v\n%s", len(rows), err, out)
	}
	return rows
}

// TestBinaryDefaults: the binary listens and keeps its database where
// README.md's configuration table says, BOT_ADDR's and PORT's rule
// included.
func TestBinaryDefaults(t *testing.T) {
	t.Parallel()
	lines, dir := botDoctor(t, nil)
	if got, want := doctorAddr(t, lines), listenAddr(t, nil); got != want {
		t.Errorf("with no BOT_ADDR the bot listens on %s; README.md says %s", got, want)
	}
	if l := lines["database"]; l.mark != "ok" {
		t.Errorf("bot doctor's database line %+v", l)
	}
	file, _ := sqlitePath(databaseURLOf(t, nil))
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(file))); err != nil {
		t.Errorf("the default database is not where README.md's %s says: %v", databaseURLOf(t, nil), err)
	}

	env := map[string]string{"PORT": "9123"}
	lines, _ = botDoctor(t, env)
	if got, want := doctorAddr(t, lines), listenAddr(t, env); got != want {
		t.Errorf("with PORT=9123 the bot listens on %s; README.md says %s", got, want)
	}
}

// TestBinaryAsTheDockerfileBuildsIt checks that the binary the Dockerfile's
// go build line makes (builtBot) is a static executable that runs in an
// image with no C library, stripped, and that `bot version` prints the
// stamp.
func TestBinaryAsTheDockerfileBuildsIt(t *testing.T) {
	t.Parallel() // the build waits on the linker; let the other parallel tests run meanwhile
	bin := builtBot(t)

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			if runtime.GOOS != "linux" {
				t.Skipf("not an ELF binary on %s", runtime.GOOS)
			}
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary has a PT_INTERP header: it needs a dynamic loader, which distroless/static and scratch lack")
			}
			if p.Type == elf.PT_DYNAMIC {
				t.Error("the binary has a PT_DYNAMIC header: it is dynamically linked")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary needs shared libraries %v", libs)
		}
		if f.Section(".symtab") != nil {
			t.Error("the binary has a symbol table: -ldflags -s did not apply")
		}
	})
	t.Run("build settings", func(t *testing.T) {
		info, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if settings["CGO_ENABLED"] != "0" {
			t.Errorf("CGO_ENABLED=%q in the binary's build info, want 0", settings["CGO_ENABLED"])
		}
		if settings["-trimpath"] != "true" {
			t.Errorf("-trimpath=%q in the binary's build info, want true", settings["-trimpath"])
		}
		if info.Path != "github.com/incident-bot/bot/cmd/bot" {
			t.Errorf("main package %s", info.Path)
		}
	})
	t.Run("version", func(t *testing.T) {
		out, errOut, err := runBot(t, t.TempDir(), nil, "version") // no .env
		if err != nil {
			t.Fatalf("bot version: %v\n%s%s", err, out, errOut)
		}
		if got, want := strings.TrimSpace(out), "bot "+botVersion; got != want {
			t.Errorf("bot version printed %q, want %q", got, want)
		}
	})
}

// --- Kubernetes -------------------------------------------------------

// intOrString is a Kubernetes port: a number or a port name.
type intOrString string

func (s *intOrString) UnmarshalYAML(n *yaml.Node) error {
	*s = intOrString(n.Value)
	return nil
}

type k8sSecretKeyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional bool   `yaml:"optional"`
}

type k8sEnv struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *k8sSecretKeyRef `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sSecurityContext struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env     []k8sEnv `yaml:"env"`
	EnvFrom []struct {
		SecretRef    *struct{} `yaml:"secretRef"`
		ConfigMapRef *struct{} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext k8sSecurityContext `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// k8sDoc is the part of any of the deploy/ documents the test reads.
type k8sDoc struct {
	file       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Resources  []string          `yaml:"resources"` // Kustomization
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type string `yaml:"type"`
		} `yaml:"strategy"`
		Selector map[string]any `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext k8sSecurityContext `yaml:"securityContext"`
				Containers      []k8sContainer     `yaml:"containers"`
				Volumes         []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim *struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
					EmptyDir *struct {
						SizeLimit string `yaml:"sizeLimit"`
					} `yaml:"emptyDir"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			Name       string      `yaml:"name"`
			Port       int         `yaml:"port"`
			TargetPort intOrString `yaml:"targetPort"`
		} `yaml:"ports"`
		MinAvailable   *intOrString `yaml:"minAvailable"`
		MaxUnavailable *intOrString `yaml:"maxUnavailable"`
	} `yaml:"spec"`
}

// loadDeploy parses every YAML document under deploy/.
func loadDeploy(t *testing.T) []k8sDoc {
	t.Helper()
	var docs []k8sDoc
	err := filepath.WalkDir(filepath.Join(repoRoot, "deploy"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("%s document %d: %w", p, i, err)
			}
			if len(node.Content) == 0 {
				continue // an empty document
			}
			var doc k8sDoc
			if err := node.Decode(&doc); err != nil {
				return fmt.Errorf("%s document %d: %w", p, i, err)
			}
			doc.file = p
			if doc.APIVersion == "" || doc.Kind == "" {
				return fmt.Errorf("%s document %d has no apiVersion or kind", p, i)
			}
			docs = append(docs, doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func byKind(docs []k8sDoc, kind string) []k8sDoc {
	var out []k8sDoc
	for _, d := range docs {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func onlyOne(t *testing.T, docs []k8sDoc, kind string) k8sDoc {
	t.Helper()
	all := byKind(docs, kind)
	if len(all) != 1 {
		t.Fatalf("deploy/ has %d %s documents, want 1", len(all), kind)
	}
	return all[0]
}

// matchLabels reads a selector's matchLabels (Deployment, PDB) or a
// Service's plain selector.
func matchLabels(sel map[string]any) map[string]string {
	src := sel
	if m, ok := sel["matchLabels"].(map[string]any); ok {
		src = m
	}
	out := map[string]string{}
	for k, v := range src {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// selects reports whether selector picks pods labelled labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// documentedVariables parses the README's configuration table: the names
// in back quotes in its first column. <VENDOR> stands for any vendor.
func documentedVariables(t *testing.T) []*regexp.Regexp {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	in := false
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "## "):
			in = strings.TrimSpace(l) == "## Configuration"
		case in && strings.HasPrefix(l, "|"):
			cells := strings.Split(l, "|")
			if len(cells) < 3 {
				continue
			}
			for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1) {
				name := m[1]
				if !regexp.MustCompile(`^[A-Z0-9_<>]+$`).MatchString(name) {
					continue
				}
				expr := "^" + strings.ReplaceAll(regexp.QuoteMeta(name), "<VENDOR>", "[A-Z0-9_]+") + "$"
				out = append(out, regexp.MustCompile(expr))
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d variables in README.md's \"## Configuration\" table", len(out))
	}
	return out
}

// readmeDefault is the default column of README.md's configuration table
// for the variable name, as written.
func readmeDefault(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(l, "## "):
			in = strings.TrimSpace(l) == "## Configuration"
		case in && strings.HasPrefix(l, "|"):
			cells := strings.Split(l, "|")
			if len(cells) >= 5 && strings.Contains(cells[1], "`"+name+"`") {
				return strings.TrimSpace(cells[3])
			}
		}
	}
	t.Fatalf("README.md's configuration table has no default for %s", name)
	return ""
}

// firstCode is the first `quoted` text of s.
func firstCode(t *testing.T, s string) string {
	t.Helper()
	m := regexp.MustCompile("`([^`]+)`").FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no `value` in %q", s)
	}
	return m[1]
}

// listenAddr is where bot serve listens with env, by README.md's rule:
// BOT_ADDR; else :$PORT when PORT is set; else BOT_ADDR's default.
func listenAddr(t *testing.T, env map[string]string) string {
	t.Helper()
	if a := env["BOT_ADDR"]; a != "" {
		return a
	}
	d := readmeDefault(t, "BOT_ADDR")
	if p := env["PORT"]; p != "" {
		if !strings.Contains(d, "`:$PORT` when `PORT` is set") {
			t.Fatalf("README.md's BOT_ADDR default %q no longer says what PORT does", d)
		}
		return ":" + p
	}
	return firstCode(t, d)
}

// databaseURLOf is DATABASE_URL with env: its value, or README.md's default.
func databaseURLOf(t *testing.T, env map[string]string) string {
	t.Helper()
	if u := env["DATABASE_URL"]; u != "" {
		return u
	}
	return firstCode(t, readmeDefault(t, "DATABASE_URL"))
}

// sqlitePath is the file a sqlite:PATH DATABASE_URL names.
func sqlitePath(databaseURL string) (string, bool) {
	p, ok := strings.CutPrefix(databaseURL, "sqlite:")
	p = strings.TrimPrefix(p, "//")
	return p, ok && p != ""
}

// secretVariable reports whether an environment variable holds a secret.
func secretVariable(name string) bool {
	return strings.HasSuffix(name, "_TOKEN") || strings.Contains(name, "SECRET") || name == "DATABASE_URL"
}

// TestKubernetesManifests parses every YAML document under deploy/ and
// checks them against the bot and against each other.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	docs := loadDeploy(t)
	dep := onlyOne(t, docs, "Deployment")
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]

	// The container port is the one bot serve listens on.
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if len(c.Ports) != 1 {
		t.Fatalf("the container declares %d ports, want 1", len(c.Ports))
	}
	port := c.Ports[0].ContainerPort
	resolve := func(p intOrString) int {
		if n, err := strconv.Atoi(string(p)); err == nil {
			return n
		}
		if n, ok := ports[string(p)]; ok {
			return n
		}
		return -1
	}
	env := map[string]k8sEnv{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s is set twice", e.Name)
		}
		env[e.Name] = e
	}
	literals := map[string]string{}
	for _, e := range c.Env {
		if e.Value != nil {
			literals[e.Name] = *e.Value
		}
	}
	addr, databaseURL := listenAddr(t, literals), databaseURLOf(t, literals)
	if _, p, _ := strings.Cut(addr, ":"); p != strconv.Itoa(port) {
		t.Errorf("the bot would listen on %s, but the container port is %d", addr, port)
	}
	if len(c.Args) > 0 && c.Args[0] != "serve" {
		t.Errorf("container args %v: want serve", c.Args)
	}

	t.Run("settings", func(t *testing.T) {
		// The binary reads the literal settings as README.md says.
		lines, _ := botDoctor(t, literals)
		if l := lines["configuration"]; l.mark != "ok" {
			t.Fatalf("the Deployment's literal settings do not load: %s", l.detail)
		}
		if got := doctorAddr(t, lines); got != addr {
			t.Errorf("with the Deployment's settings the bot listens on %s, not %s", got, addr)
		}
	})

	t.Run("probes", func(t *testing.T) {
		for _, p := range []struct {
			what  string
			probe *k8sProbe
			path  string
		}{{"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("no %s with httpGet", p.what)
				continue
			}
			if p.probe.HTTPGet.Path != p.path {
				t.Errorf("%s path %s, want %s", p.what, p.probe.HTTPGet.Path, p.path)
			}
			if got := resolve(p.probe.HTTPGet.Port); got != port {
				t.Errorf("%s port %q is %d, want the container port %d", p.what, p.probe.HTTPGet.Port, got, port)
			}
		}
	})

	t.Run("environment", func(t *testing.T) {
		documented := documentedVariables(t)
		for _, e := range c.Env {
			if !slices.ContainsFunc(documented, func(re *regexp.Regexp) bool { return re.MatchString(e.Name) }) {
				t.Errorf("env %s is not in README.md's configuration table", e.Name)
			}
			var ref *k8sSecretKeyRef
			if e.ValueFrom != nil {
				ref = e.ValueFrom.SecretKeyRef
			}
			if secretVariable(e.Name) {
				if e.Value != nil || ref == nil {
					t.Errorf("env %s holds a secret: it must come from a secretKeyRef, never a literal value", e.Name)
				}
			}
			if e.Value != nil && regexp.MustCompile(`xox[abpr]-|xapp-|pat-|postgres://[^@]*:[^@]*@`).MatchString(*e.Value) {
				t.Errorf("env %s has a literal value that looks like a credential", e.Name)
			}
		}
		if e, ok := env["SLACK_BOT_TOKEN"]; !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Optional {
			t.Error("SLACK_BOT_TOKEN must come from the Secret, not optional: bot serve cannot run without it")
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil {
				t.Error("envFrom a ConfigMap: the variables it sets cannot be checked here; set them under env")
			}
		}
	})

	t.Run("vendor tokens", func(t *testing.T) {
		vendorTokens := map[string]bool{}
		for _, v := range botVendors(t) {
			if v.TokenEnv != "" { // a vendor watched by its status page only has none
				vendorTokens[v.TokenEnv] = true
			}
		}
		for _, e := range c.Env {
			if strings.HasSuffix(e.Name, "_ACCESS_TOKEN") && !vendorTokens[e.Name] {
				t.Errorf("env %s is no vendor's token_env in the catalog", e.Name)
			}
		}
		for tok := range vendorTokens {
			if _, ok := env[tok]; !ok {
				t.Errorf("the catalog's %s is not passed from the Secret", tok)
			}
		}
	})

	t.Run("security", func(t *testing.T) {
		nonRoot := pod.SecurityContext.RunAsNonRoot
		if c.SecurityContext.RunAsNonRoot != nil {
			nonRoot = c.SecurityContext.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			t.Error("runAsNonRoot is not true")
		}
		for _, u := range []*int64{pod.SecurityContext.RunAsUser, c.SecurityContext.RunAsUser} {
			if u != nil && *u == 0 {
				t.Error("runAsUser: 0")
			}
		}
		if p := c.SecurityContext.AllowPrivilegeEscalation; p == nil || *p {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if r := c.SecurityContext.ReadOnlyRootFilesystem; r == nil || !*r {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
			t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
		}
	})

	t.Run("data volume", func(t *testing.T) {
		// Where the image keeps the database, and so where it must be writable.
		final := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
		dataDir := dockerDataDir(t, final[len(final)-1], databaseURL)
		mounts := map[string]string{} // path -> volume
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = m.Name
		}
		vol, ok := mounts[dataDir]
		if !ok {
			t.Fatalf("nothing is mounted at %s, where %s lives: with readOnlyRootFilesystem SQLite cannot write", dataDir, databaseURL)
		}
		if _, ok := mounts["/tmp"]; !ok {
			t.Error("nothing is mounted at /tmp: SQLite's temporary files have nowhere to go on a read-only root")
		}
		pvcs := map[string]bool{}
		for _, d := range byKind(docs, "PersistentVolumeClaim") {
			pvcs[d.Metadata.Name] = true
		}
		for _, v := range pod.Volumes {
			if v.Name != vol {
				continue
			}
			if v.PersistentVolumeClaim == nil {
				t.Errorf("volume %s is not a PersistentVolumeClaim: the SQLite database would not outlive the pod", vol)
			} else if !pvcs[v.PersistentVolumeClaim.ClaimName] {
				t.Errorf("volume %s claims %s, which deploy/ does not define", vol, v.PersistentVolumeClaim.ClaimName)
			}
		}
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
			t.Error("replicas must be 1 with SQLite; more than one requires DATABASE_URL=postgres://…")
		}
		raw, _ := os.ReadFile(dep.file)
		if !strings.Contains(string(raw), "DATABASE_URL=postgres://") {
			t.Errorf("%s does not say that more replicas need DATABASE_URL=postgres://…", dep.file)
		}
		if dep.Spec.Strategy.Type != "Recreate" {
			t.Errorf("strategy %q: with SQLite on a ReadWriteOnce volume the old pod must stop before the new one starts (Recreate)", dep.Spec.Strategy.Type)
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		a := dep.Spec.Template.Metadata.Annotations
		if a["prometheus.io/scrape"] != "true" {
			t.Error(`pod annotation prometheus.io/scrape is not "true"`)
		}
		if a["prometheus.io/port"] != strconv.Itoa(port) {
			t.Errorf("prometheus.io/port %q, want %d", a["prometheus.io/port"], port)
		}
		if a["prometheus.io/path"] != "/metrics" {
			t.Errorf("prometheus.io/path %q, want /metrics", a["prometheus.io/path"])
		}
	})

	podLabels := dep.Spec.Template.Metadata.Labels
	t.Run("selectors", func(t *testing.T) {
		if !selects(matchLabels(dep.Spec.Selector), podLabels) {
			t.Errorf("the Deployment's selector %v does not match its pod labels %v", dep.Spec.Selector, podLabels)
		}
		pdb := onlyOne(t, docs, "PodDisruptionBudget")
		if got := matchLabels(pdb.Spec.Selector); !selects(got, podLabels) {
			t.Errorf("the PodDisruptionBudget selects %v, not the Deployment's pods %v", got, podLabels)
		}
		if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
			t.Error("the PodDisruptionBudget must set one of minAvailable and maxUnavailable")
		}
		if pdb.Spec.MinAvailable != nil && *dep.Spec.Replicas <= 1 {
			if n, err := strconv.Atoi(string(*pdb.Spec.MinAvailable)); err == nil && n >= *dep.Spec.Replicas {
				t.Errorf("minAvailable %d with %d replica(s) blocks every node drain", n, *dep.Spec.Replicas)
			}
		}
		svc := onlyOne(t, docs, "Service")
		if got := matchLabels(svc.Spec.Selector); !selects(got, podLabels) {
			t.Errorf("the Service selects %v, not the Deployment's pods %v", got, podLabels)
		}
		if len(svc.Spec.Ports) == 0 {
			t.Fatal("the Service has no ports")
		}
		for _, p := range svc.Spec.Ports {
			target := p.TargetPort
			if target == "" {
				target = intOrString(strconv.Itoa(p.Port))
			}
			if got := resolve(target); got != port {
				t.Errorf("the Service port %d targets %q (%d), not the container port %d", p.Port, target, got, port)
			}
		}
	})

	t.Run("secret", func(t *testing.T) {
		secrets := byKind(docs, "Secret")
		if len(secrets) != 1 || !strings.HasSuffix(secrets[0].file, ".example.yaml") {
			t.Fatalf("want exactly one Secret, an example in *.example.yaml; got %d", len(secrets))
		}
		s := secrets[0]
		keys := map[string]string{}
		for k, v := range s.StringData {
			keys[k] = v
		}
		for k, v := range s.Data {
			keys[k] = v
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != s.Metadata.Name {
				t.Errorf("env %s comes from Secret %s; the example is %s", e.Name, ref.Name, s.Metadata.Name)
			}
			if _, ok := keys[ref.Key]; !ok {
				t.Errorf("env %s reads key %s, which %s does not show", e.Name, ref.Key, filepath.Base(s.file))
			}
		}
		for k, v := range keys {
			if !strings.Contains(v, "REPLACE") {
				t.Errorf("%s: %s is not a placeholder (no REPLACE in it)", filepath.Base(s.file), k)
			}
		}
		raw, _ := os.ReadFile(s.file)
		if !strings.Contains(string(raw), "kubectl create secret") {
			t.Errorf("%s does not say to use kubectl create secret", filepath.Base(s.file))
		}
	})

	t.Run("kustomization", func(t *testing.T) {
		k := onlyOne(t, docs, "Kustomization")
		dir := filepath.Dir(k.file)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || (filepath.Ext(n) != ".yaml" && filepath.Ext(n) != ".yml") || n == filepath.Base(k.file) {
				continue
			}
			listed := slices.Contains(k.Resources, n)
			example := strings.HasSuffix(n, ".example.yaml")
			if example && listed {
				t.Errorf("kustomization.yaml lists %s: applying it would overwrite the real Secret with placeholders", n)
			}
			if !example && !listed {
				t.Errorf("kustomization.yaml does not list %s", n)
			}
		}
		for _, r := range k.Resources {
			if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
				t.Errorf("kustomization.yaml lists %s: %v", r, err)
			}
		}
		// Render it as kubectl apply -k would, when kubectl is at hand.
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Log("no kubectl: kustomize rendering not checked")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, kubectl, "kustomize", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
		}
		for _, kind := range []string{"Deployment", "Service", "PersistentVolumeClaim", "PodDisruptionBudget"} {
			if !strings.Contains(string(out), "kind: "+kind+"\n") {
				t.Errorf("kubectl kustomize renders no %s", kind)
			}
		}
		if strings.Contains(string(out), "kind: Secret\n") {
			t.Error("kubectl kustomize renders a Secret: the example must stay out")
		}
	})
}
