package main

import (
	"testing"

	"github.com/incident-bot/bot/internal/playground/chrome"
)

// TestPlaygroundAlertInBrowser: in Chromium, the sidebar's Fire button
// sends the simulated Alertmanager alert, which opens an incident in the
// channel; Resolve puts the resolved alert into its thread.
func TestPlaygroundAlertInBrowser(t *testing.T) {
	s := startBrowser(t, chrome.Options{Width: 1440, Height: 1000}, "alert-")
	ctx, b, p, step, wait, do := s.ctx, s.b, s.p, s.step, s.wait, s.do

	do("open the page", b.Navigate(ctx, p.url+"/"))
	wait("live updates", `document.querySelector("#live").dataset.state === "live"`)
	do("fire", b.Click(ctx, `button[data-alert="firing"]`))
	wait("the alert's incident", `[...document.querySelectorAll("#channel-msgs .bk-header")].some(h => h.textContent.includes("INC-1: HubSpot sync failing"))`)
	wait("its replies", `[...document.querySelectorAll("#channel-msgs .replies")].some(r => /[23] repl/.test(r.textContent))`)
	step("01-fired")
	do("resolve", b.Click(ctx, `button[data-alert="resolved"]`))
	wait("the resolved alert", `[...document.querySelectorAll("#channel-msgs .replies")].some(r => /3 repl/.test(r.textContent))`)
	do("open the thread", b.Click(ctx, `#channel-msgs .replies`))
	wait("the thread", `[...document.querySelectorAll("#thread-msgs .msg .body")].some(m => m.textContent.includes("stays open until someone resolves it"))`)
	step("02-resolved")
	s.finish(map[string]string{"02-resolved.png": "playground-alert.png"})
}
