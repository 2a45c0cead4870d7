package main

import (
	"testing"

	"github.com/incident-bot/bot/internal/playground/chrome"
)

// TestPlaygroundDeclareFormInBrowser: in a real browser, the composer's ⚡
// shortcut opens the declare form; a blank title is refused in the form,
// under the field; a full form opens the incident with HubSpot's triage in
// it; jordan takes the comms role; the status page draft is drafted and published through Slack's
// confirm dialog. Screenshots are named surfaces-*.
func TestPlaygroundDeclareFormInBrowser(t *testing.T) {
	s := startBrowser(t, chrome.Options{Width: 1440, Height: 1000}, "surfaces-")
	ctx, b, p, step, wait, do := s.ctx, s.b, s.p, s.step, s.wait, s.do

	do("open the page", b.Navigate(ctx, p.url+"/"))
	wait("live updates", `document.querySelector("#live").dataset.state === "live"`)
	do("choose 401", b.Eval(ctx, `(() => { const s = document.querySelector("#sim-hubspot"); s.focus();
		s.value = "revoked"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil))
	wait("HubSpot broken", `document.querySelector('.sim[data-vendor="hubspot"] .sim-dot').dataset.mode === "revoked"`)

	do("click the shortcut", b.Click(ctx, "#shortcut-declare"))
	wait("the declare form", `document.querySelector("#modal-dialog").open && document.querySelector('#modal-form [data-block-id="title"]') !== null`)
	wait("the channel you are in chosen", `document.querySelector('#modal-form [data-block-id="channel"]').value === "C0PLAYINC1"`)
	step("01-declare-form")

	do("submit without a title", b.Click(ctx, "#modal-form .modal-submit"))
	wait("the title's error", `document.querySelector('#modal-form .in-error[data-error-for="title"]').textContent.trim() !== ""`)
	step("02-declare-error")

	do("type a title", b.Click(ctx, `#modal-form [data-block-id="title"]`))
	do("type a title", b.Type(ctx, "CRM sync stopped"))
	do("choose HubSpot and P2", b.Eval(ctx, `(() => {
		const set = (block, v) => { const el = document.querySelector('#modal-form [data-block-id="' + block + '"]'); el.value = v;
			el.dispatchEvent(new Event("change", {bubbles: true})); };
		set("vendor", "hubspot"); set("severity", "P2"); })()`, nil))
	do("type the impact", b.Click(ctx, `#modal-form [data-block-id="impact"]`))
	do("type the impact", b.Type(ctx, "EU deals are not synced"))
	step("03-declare-filled")
	do("declare", b.Click(ctx, "#modal-form .modal-submit"))
	wait("the form closed", `!document.querySelector("#modal-dialog").open`)
	wait("the incident message", `[...document.querySelectorAll("#channel-msgs .bk-header")].some(h => h.textContent.includes("INC-1: CRM sync stopped"))`)
	wait("the triage in it", `document.querySelector("#channel-msgs").textContent.includes("401")`)
	step("04-declared")

	// Roles: jordan takes comms; the incident message shows it.
	wait("the composer ready", `!document.querySelector("#composer").hasAttribute("aria-busy")`)
	do("focus the composer", b.Click(ctx, "#composer textarea"))
	do("type", b.Type(ctx, "/incident role comms @jordan"))
	do("hide the hints", b.Press(ctx, "Escape"))
	do("send", b.Press(ctx, "Enter"))
	wait("the comms role on the incident", `[...document.querySelectorAll("#channel-msgs .msg.from-app:not(.eph)")].some(m => m.textContent.includes("Comms:"))`)

	wait("the composer ready", `!document.querySelector("#composer").hasAttribute("aria-busy")`)
	do("focus the composer", b.Click(ctx, "#composer textarea"))
	do("type", b.Type(ctx, "/incident statuspage"))
	do("send", b.Press(ctx, "Enter"))
	wait("the draft's reply", `[...document.querySelectorAll("#channel-msgs .replies-count")].some(c => c.textContent.trim() === "1 reply")`)
	do("hover the incident", b.Hover(ctx, `#channel-msgs .msg.from-app:not(.eph) .bk-header`))
	do("reply in thread", b.Click(ctx, `#channel-msgs .msg.from-app:not(.eph) .hover-actions button[data-thread]`))
	wait("the draft", `document.querySelector('#thread-msgs button[data-action-id="statuspage_publish"]') !== null`)
	step("05-statuspage-draft")
	do("publish", b.Click(ctx, `#thread-msgs button[data-action-id="statuspage_publish"]`))
	wait("the confirm dialog", `document.querySelector("#confirm-dialog").open`)
	do("confirm", b.Click(ctx, "#confirm-ok"))
	wait("published", `[...document.querySelectorAll("#thread-msgs .body")].some(m => m.textContent.includes("published on"))`)
	step("06-statuspage-published")

	s.finish(map[string]string{"01-declare-form.png": "playground-declare.png", "06-statuspage-published.png": "playground-statuspage.png"})
}
