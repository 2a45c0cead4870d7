package chrome

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBrowser(t *testing.T) {
	if Find() == "" {
		t.Skip("no Chromium found (set CHROMIUM, or apt-get install -y chromium): skipped")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><textarea id="t"></textarea>
<button id="b" style="margin:40px;width:100px;height:30px" onclick="this.textContent='clicked'">click</button>
<script>document.getElementById("t").addEventListener("keydown", e => { if (e.key === "Enter") document.title = "sent " + e.target.value; });</script>`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Launch(ctx, Options{Width: 800, Height: 600})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := b.Click(ctx, "#b"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(ctx, `document.getElementById("b").textContent === "clicked"`); err != nil {
		t.Fatal(err)
	}
	if err := b.Click(ctx, "#t"); err != nil {
		t.Fatal(err)
	}
	if err := b.Type(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := b.Press(ctx, "Enter"); err != nil {
		t.Fatal(err)
	}
	var title string
	if err := b.Eval(ctx, "document.title", &title); err != nil || title != "sent hello" {
		t.Fatalf("title %q, %v", title, err)
	}
	if err := b.Click(ctx, "#nothing"); err == nil || !strings.Contains(err.Error(), "nothing matches") {
		t.Errorf("clicking nothing: %v", err)
	}
	if err := b.Eval(ctx, "(() => { throw new Error('boom') })()", nil); err == nil {
		t.Error("an exception in Eval was not an error")
	}
	if err := b.Eval(ctx, "setTimeout(() => { throw new Error('late') }, 0)", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(ctx, "true"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if errs := b.Errors(); len(errs) == 0 || !strings.Contains(strings.Join(errs, " "), "late") {
		t.Errorf("page errors = %v, want the uncaught exception", errs)
	}
	png, err := b.Screenshot(ctx)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %v (%d bytes)", err, len(png))
	}
}

// TestClickRefusesWhatAPersonCannotClick: an element under another one, or
// hidden, is an error rather than a click on whatever is on top; a phone
// has no hover; ArrowDown changes a focused select.
func TestClickRefusesWhatAPersonCannotClick(t *testing.T) {
	if Find() == "" {
		t.Skip("no Chromium found (set CHROMIUM, or apt-get install -y chromium): skipped")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><meta name="viewport" content="width=device-width">
<button id="under" style="position:absolute;top:10px;left:10px;width:100px;height:30px">under</button>
<div id="over" style="position:absolute;top:0;left:0;width:200px;height:60px;background:#0008"></div>
<button id="hidden" style="visibility:hidden">hidden</button>
<select id="s" style="position:absolute;top:100px" onchange="document.title = this.value"><option>a</option><option>b</option></select>`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Launch(ctx, Options{Width: 390, Height: 700, Mobile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := b.Click(ctx, "#under"); err == nil || !strings.Contains(err.Error(), "covered by div#over") {
		t.Errorf("clicking a covered button: %v", err)
	}
	if err := b.Click(ctx, "#hidden"); err == nil || !strings.Contains(err.Error(), "not displayed") {
		t.Errorf("clicking a hidden button: %v", err)
	}
	var hoverNone bool
	if err := b.Eval(ctx, `matchMedia("(hover: none) and (pointer: coarse)").matches`, &hoverNone); err != nil || !hoverNone {
		t.Errorf("a mobile page matches (hover: none) and (pointer: coarse): %v, %v", hoverNone, err)
	}
	if err := b.Eval(ctx, `document.getElementById("s").focus()`, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Press(ctx, "ArrowDown"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(ctx, `document.title === "b"`); err != nil {
		t.Errorf("ArrowDown on a focused select: %v", err)
	}
}
