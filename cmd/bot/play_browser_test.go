package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incident-bot/bot/internal/playground/chrome"
)

// TestPlaygroundInBrowser runs the playground's story in a real headless
// Chromium, with the mouse and the keyboard: break HubSpot with a 401,
// /incident triage hubspot, see the incident message, click P2, reply twice
// in the thread, resolve, open the postmortem. Each step is screenshotted
// into test-artifacts/playground/ (or $TEST_ARTIFACTS). The page must log no
// error on the way (an exception, a Content-Security-Policy violation, a
// failed request).
//
// It skips when no Chromium is installed (apt-get install -y chromium).
// UPDATE_SCREENSHOT=1 also writes the README's docs/playground.png.
func TestPlaygroundInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test is skipped")
	}
	bin := chrome.Find()
	if bin == "" {
		t.Skip("no Chromium found (set CHROMIUM, or apt-get install -y chromium): the browser test is skipped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	p := startPlay(t)
	b, err := chrome.Launch(ctx, chrome.Options{Path: bin, Width: 1440, Height: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	shots := artifactsDir(t)

	step := func(name string) {
		t.Helper()
		png, err := b.Screenshot(ctx)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := b.WaitFor(wctx, expr); err != nil {
			_ = os.WriteFile(filepath.Join(shots, "failed.txt"), []byte(p.stderr.String()), 0o644)
			if png, err := b.Screenshot(ctx); err == nil {
				_ = os.WriteFile(filepath.Join(shots, "failed.png"), png, 0o644)
			}
			t.Fatalf("waiting for %s: %v\npage errors: %v", what, err, b.Errors())
		}
	}
	do := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	do("open the page", b.Navigate(ctx, p.url+"/"))
	wait("live updates", `document.querySelector("#live").dataset.state === "live"`)
	step("01-channel")

	// Break HubSpot: choose 401 in its switch.
	do("choose 401", b.Eval(ctx, `(() => { const s = document.querySelector("#sim-hubspot"); s.focus();
		s.value = "revoked"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil))
	wait("HubSpot broken", `document.querySelector('.sim[data-vendor="hubspot"] .sim-dot').dataset.mode === "revoked"`)
	step("02-hubspot-401")

	// Type the command and press Enter.
	do("focus the composer", b.Click(ctx, "#composer textarea"))
	do("type", b.Type(ctx, "/incident tri"))
	wait("the command hints", `!document.querySelector("#hints").hidden && document.querySelectorAll("#hints li").length === 2`)
	step("03-typing")
	do("type", b.Type(ctx, "age hubspot"))
	wait("the hints gone", `document.querySelector("#hints").hidden`)
	do("send", b.Press(ctx, "Enter"))
	wait("the incident message", `[...document.querySelectorAll("#channel-msgs .bk-header")].some(h => h.textContent.includes("INC-1: HubSpot: token refused (401)"))`)
	wait("the answer only you see", `document.querySelector("#channel-msgs .msg.eph") !== null`)
	step("04-incident")

	// Click P2.
	do("click P2", b.Click(ctx, `#channel-msgs button[data-action-id="severity_P2"]`))
	wait("P2 chosen", `document.querySelector('#channel-msgs button[data-action-id="severity_P2"]').classList.contains("bk-btn-primary")`)
	step("05-p2")

	// Open the thread from the message's hover menu and reply twice.
	do("hover the incident", b.Hover(ctx, `#channel-msgs .msg.from-app:not(.eph) .bk-header`))
	do("reply in thread", b.Click(ctx, `#channel-msgs .msg.from-app:not(.eph) .hover-actions button[data-thread]`))
	wait("the thread", `!document.querySelector("#thread").hidden && document.querySelector("#thread-msgs .bk-header") !== null`)
	for _, reply := range []string{
		"HubSpot says the token was revoked: the offboarding script rotated it <by mistake> & nobody noticed",
		"action: alert on 401s from HubSpot before customers notice",
	} {
		// The page ignores Enter while its previous send is busy (until that
		// send's own refresh is back), and the previous reply can show up
		// sooner, through the live stream: wait as a person waits for Send.
		wait("the composer ready", `!document.querySelector("#thread-composer").hasAttribute("aria-busy")`)
		do("type a reply", b.Click(ctx, "#thread-composer textarea"))
		do("type a reply", b.Type(ctx, reply))
		do("send the reply", b.Press(ctx, "Enter"))
		wait("the reply", `[...document.querySelectorAll("#thread-msgs .msg .body")].some(m => m.textContent.includes(`+jsString(reply[:40])+`))`)
	}
	wait("the escaped reply", `[...document.querySelectorAll("#thread-msgs .body")].some(m => m.textContent.includes("<by mistake> & nobody"))`)

	// Edit the first reply: Slack sends message_changed, and the timeline keeps it.
	first := `#thread-msgs .msg.mine`
	do("hover your reply", b.Hover(ctx, first+" .body"))
	do("edit it", b.Click(ctx, first+" button[data-edit]"))
	wait("the editor", `document.querySelector("#thread-msgs .editor textarea") === document.activeElement`)
	do("select its text", b.Eval(ctx, `document.querySelector("#thread-msgs .editor textarea").select()`, nil))
	do("retype it", b.Type(ctx, "HubSpot says the token was revoked: the offboarding script rotated it <by mistake> & nobody noticed for an hour"))
	do("save", b.Press(ctx, "Enter"))
	wait("the edit", `document.querySelector("#thread-msgs .msg.mine .edited") !== null && document.querySelector("#thread-msgs .msg.mine .body").textContent.includes("for an hour")`)
	wait("2 replies", `[...document.querySelectorAll("#channel-msgs .replies-count")].some(c => c.textContent.trim() === "2 replies")`)
	do("show the incident from its top", b.Eval(ctx, `document.querySelector("#channel-msgs .msg.from-app:not(.eph)").scrollIntoView({block: "start"})`, nil))
	do("move the mouse away", b.Hover(ctx, ".ch-title"))
	step("06-thread")

	// Resolve, through Slack's confirm dialog.
	do("click Resolve", b.Click(ctx, `#channel-msgs button[data-action-id="resolve"]`))
	wait("the confirm dialog", `document.querySelector("#confirm-dialog").open`)
	step("07-confirm")
	do("confirm", b.Click(ctx, "#confirm-ok"))
	wait("the postmortem file in the thread", `document.querySelector("#thread-msgs .file") !== null`)
	wait("resolved", `document.querySelector('#channel-msgs button[data-action-id="resolve"]') === null`)
	step("08-resolved")

	// Open the postmortem.
	do("open the postmortem", b.Click(ctx, "#thread-msgs .file"))
	wait("the preview", `document.querySelector("#file-dialog").open && document.querySelector("#file-body h1") !== null`)
	var doc string
	do("read the preview", b.Eval(ctx, `document.querySelector("#file-body").textContent`, &doc))
	for _, want := range []string{"Incident INC-1", "Timeline", "alert on 401s from HubSpot", "<by mistake> & nobody noticed for an hour (edited)"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the postmortem preview lacks %q", want)
		}
	}
	step("09-postmortem")

	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
	}
	if os.Getenv("UPDATE_SCREENSHOT") != "" {
		png, err := os.ReadFile(filepath.Join(shots, "06-thread.png"))
		do("read the screenshot", err)
		do("update docs/playground.png", os.WriteFile(filepath.Join("..", "..", "docs", "playground.png"), png, 0o644))
	}
	t.Logf("screenshots in %s", shots)
}

// artifactsDir is where the browser test keeps its screenshots:
// $TEST_ARTIFACTS/playground, else test-artifacts/playground at the top of
// the repository, which ignores itself in git.
func artifactsDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("TEST_ARTIFACTS")
	if root == "" {
		root = filepath.Join("..", "..", "test-artifacts")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("# screenshots and logs of the browser test\n*\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, "playground")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func jsString(s string) string {
	return "\"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + "\""
}
