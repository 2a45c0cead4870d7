package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// builtBot builds ./cmd/bot once per test binary, as `make build` does:
// its environment and flags. The packaging tests (deploy/) build with the
// same, so whichever runs second finds every package compiled and only
// links; on a cold build cache that is a whole compile saved.
func builtBot(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bot-build-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "bot")
		// The Makefile's flags (deploy's packaging tests check that the
		// Dockerfile uses the same), so the compiled packages are shared.
		args := []string{"build", "-trimpath", "-ldflags", "-s -w -X main.version=crash-test", "-o", builtBin, "./cmd/bot"}
		cmd := exec.Command("go", args...)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// startProcess runs the built bot as its own process and waits for /healthz.
func startProcess(t *testing.T, bin string, env map[string]string, logs *syncBuffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = t.TempDir()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, "the bot answering /healthz", func() bool {
		resp, err := http.Get("http://" + env["BOT_ADDR"] + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return cmd
}

// TestKill9LosesNothingAcknowledged: every event the bot answered 200 is in
// the timeline after kill -9 and a restart, and the incident is in its last
// state; then SIGTERM exits 0.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	bin := builtBot(t)
	fake := newSlack(t)
	dir := t.TempDir()
	env := map[string]string{
		"SLACK_BOT_TOKEN": testBotToken, "SLACK_SIGNING_SECRET": testSecret, "SLACK_API_URL": fake.URL() + "/api/",
		"BOT_ADDR": freeAddr(t), "DATABASE_URL": "sqlite:" + filepath.Join(dir, "bot.db"), "PATH": os.Getenv("PATH"),
	}
	logs := &syncBuffer{}
	proc := startProcess(t, bin, env, logs)
	b := &bot{t: t, slack: fake, url: "http://" + env["BOT_ADDR"]}
	inc := b.open("U0ALICE", "declare Shipping labels fail")
	b.click("U0ALICE", "severity_P1", incidentID(t, inc.Blocks), inc.TS)
	fake.MustWait(t, "chat.update", 1)
	const n = 30
	for i := range n {
		b.event(fmt.Sprintf("EvK%d", i), map[string]any{"type": "message", "channel": channel, "user": "U0BOB",
			"text": fmt.Sprintf("reply number %d", i), "ts": fmt.Sprintf("1800000%03d.000100", i), "thread_ts": inc.TS})
	}
	if err := proc.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	proc.Wait()

	// Restart on the same database, then stop it as an operator would.
	env["BOT_ADDR"] = freeAddr(t)
	proc = startProcess(t, bin, env, logs)
	if err := proc.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Errorf("SIGINT: %v, want exit 0", err)
	}
	cmd := exec.Command(bin, "postmortem", "INC-1")
	cmd.Env = []string{"DATABASE_URL=" + env["DATABASE_URL"]}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bot postmortem: %v", err)
	}
	doc := string(out)
	for i := range n {
		if !strings.Contains(doc, fmt.Sprintf("reply number %d |", i)) {
			t.Errorf("acknowledged reply %d lost in the crash", i)
		}
	}
	if !strings.Contains(doc, "**Severity**: P3 → P1") || !strings.Contains(doc, "| Severity | P1") {
		t.Error("the incident lost its last state (P1)")
	}
	assertNoSecrets(t, logs.String()+doc, fake)
}
