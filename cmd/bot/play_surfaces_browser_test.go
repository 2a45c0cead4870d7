package main

import (
	"testing"

	"github.com/incident-bot/bot/internal/playground/chrome"
)

// TestPlaygroundSurfacesInBrowser runs the Slack surfaces in a real
// headless Chromium with INCIDENT_CHANNELS=channel: declare, see the
// incident's own channel appear in the sidebar, open it, pin a message with
// :pushpin: from its hover menu, and open the app's Home tab with the
// incident on it. Screenshots go with the others (prefix channels-).
func TestPlaygroundSurfacesInBrowser(t *testing.T) {
	s := startBrowserWith(t, chrome.Options{Width: 1440, Height: 1000}, "channels-", map[string]string{"INCIDENT_CHANNELS": "channel"})
	ctx, b, p, step, wait, do := s.ctx, s.b, s.p, s.step, s.wait, s.do

	do("open the page", b.Navigate(ctx, p.url+"/"))
	wait("live updates", `document.querySelector("#live").dataset.state === "live"`)
	do("focus the composer", b.Click(ctx, "#composer textarea"))
	do("type", b.Type(ctx, "/incident declare Printer on fire"))
	do("send", b.Press(ctx, "Enter"))
	link := `#sb-channels a[data-channel]:not([href="/"])`
	wait("the incident channel in the sidebar", `[...document.querySelectorAll(`+jsString(link)+`)].some(a => a.textContent.includes("inc-1-printer-on-fire"))`)
	wait("the pointer to it", `[...document.querySelectorAll("#channel-msgs .msg.from-app a.mention")].some(a => a.textContent === "#inc-1-printer-on-fire")`)
	step("01-pointer")

	do("open the incident channel", b.Click(ctx, link))
	wait("live again", `document.querySelector("#live").dataset.state === "live"`)
	wait("the incident message in its channel", `document.querySelector(".ch-title").textContent.includes("inc-1-printer-on-fire") &&
		[...document.querySelectorAll("#channel-msgs .bk-header")].some(h => h.textContent.includes("INC-1"))`)
	do("focus the composer", b.Click(ctx, "#composer textarea"))
	do("type", b.Type(ctx, "the printer is on fire, literally"))
	do("send", b.Press(ctx, "Enter"))
	wait("your message", `document.querySelector("#channel-msgs .msg.mine") !== null`)
	do("hover it", b.Hover(ctx, "#channel-msgs .msg.mine .body"))
	do("pin it", b.Click(ctx, "#channel-msgs .msg.mine .hover-actions button[data-pin]"))
	wait("the pushpin", `document.querySelector("#channel-msgs .msg.mine .reaction.mine") !== null`)
	do("move the mouse away", b.Hover(ctx, ".ch-title"))
	step("02-pinned")

	do("open Home", b.Click(ctx, "#sb-home"))
	wait("live on Home", `document.querySelector("#live").dataset.state === "live"`)
	wait("the incident on Home", `document.querySelector("#channel-msgs .home") !== null &&
		document.querySelector("#channel-msgs .home").textContent.includes("INC-1: Printer on fire") &&
		document.querySelector("#channel-msgs .home").textContent.includes("Watched vendors")`)
	step("03-home")
	s.finish(map[string]string{"02-pinned.png": "playground-channel.png", "03-home.png": "playground-home.png"})
}
