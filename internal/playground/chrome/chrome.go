// Package chrome drives a headless Chromium over the DevTools protocol, for
// the playground's browser test. It speaks the protocol over the pipe
// Chromium opens with --remote-debugging-pipe (NUL-separated JSON on file
// descriptors 3 and 4), so it needs nothing but the standard library and a
// chromium binary: no port, no websocket, no npm.
//
//	b, err := chrome.Launch(ctx, chrome.Options{})
//	defer b.Close()
//	b.Navigate(ctx, "http://localhost:8080/")
//	b.WaitFor(ctx, `document.querySelector(".msg") !== null`)
//	b.Click(ctx, "button.send")
//	png, err := b.Screenshot(ctx)
package chrome

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Find returns the path of a Chromium (or Chrome) binary: $CHROMIUM if
// set, else the first of the usual names on PATH, else "".
func Find() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Options configure Launch.
type Options struct {
	Path          string // the binary; "" uses Find
	Width, Height int    // the viewport; 0 gives 1440×900
	Scale         float64
	// Mobile emulates a phone: a mobile viewport and a touch screen, so
	// that the page's (hover: none) and (pointer: coarse) styles apply.
	// The mouse still clicks.
	Mobile bool
}

// Browser is one headless Chromium with one page.
type Browser struct {
	cmd     *exec.Cmd
	dir     string
	in      *os.File // Chromium reads commands here (its fd 3)
	out     *os.File // and writes answers here (its fd 4)
	session string

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan reply
	errs    []string // uncaught exceptions and console errors in the page
	done    chan struct{}
	stderr  *limitedWriter
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Launch starts Chromium headless with a fresh profile, opens a page and
// sets its viewport.
func Launch(ctx context.Context, o Options) (*Browser, error) {
	if o.Path == "" {
		o.Path = Find()
	}
	if o.Path == "" {
		return nil, errors.New("chrome: no chromium binary found (install it: apt-get install -y chromium)")
	}
	if o.Width == 0 {
		o.Width, o.Height = 1440, 900
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	dir, err := os.MkdirTemp("", "chrome-profile-")
	if err != nil {
		return nil, err
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	b := &Browser{dir: dir, in: cmdW, out: outR, waiting: map[int]chan reply{}, done: make(chan struct{}), stderr: &limitedWriter{max: 64 << 10}}
	b.cmd = exec.Command(o.Path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
		"--remote-debugging-pipe", "--user-data-dir="+dir,
		fmt.Sprintf("--window-size=%d,%d", o.Width, o.Height),
		"about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("chrome: start %s: %w", o.Path, err)
	}
	cmdR.Close()
	outW.Close()
	go b.read()

	var target struct{ TargetID string }
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.Close()
		return nil, err
	}
	var attached struct{ SessionID string }
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		b.Close()
		return nil, err
	}
	b.session = attached.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := b.Call(ctx, m, nil, nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := b.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": o.Width, "height": o.Height, "deviceScaleFactor": o.Scale, "mobile": o.Mobile}, nil); err != nil {
		b.Close()
		return nil, err
	}
	if o.Mobile {
		if err := b.Call(ctx, "Emulation.setTouchEmulationEnabled", map[string]any{"enabled": true, "maxTouchPoints": 5}, nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// limitedWriter keeps the first max bytes of Chromium's stderr, for errors.
type limitedWriter struct {
	mu  sync.Mutex
	b   strings.Builder
	max int
}

func (w *limitedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() < w.max {
		w.b.Write(p[:min(len(p), w.max-w.b.Len())])
	}
	return len(p), nil
}

// read dispatches Chromium's answers and keeps the page's errors.
func (b *Browser) read() {
	defer close(b.done)
	r := bufio.NewReaderSize(b.out, 1<<20)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var msg struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if json.Unmarshal(raw[:len(raw)-1], &msg) != nil {
			continue
		}
		if msg.ID != 0 {
			b.mu.Lock()
			ch := b.waiting[msg.ID]
			delete(b.waiting, msg.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- msg.reply
			}
			continue
		}
		b.event(msg.Method, msg.Params)
	}
}

func (b *Browser) event(method string, params json.RawMessage) {
	var text string
	switch method {
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(params, &p)
		text = "exception: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(params, &p)
		if p.Type != "error" && p.Type != "assert" {
			return
		}
		text = "console." + p.Type + ":"
		for _, a := range p.Args {
			text += fmt.Sprintf(" %v%s", a.Value, a.Description)
		}
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Source, Text, URL string
			} `json:"entry"`
		}
		_ = json.Unmarshal(params, &p)
		if p.Entry.Level != "error" {
			return
		}
		text = fmt.Sprintf("%s error: %s %s", p.Entry.Source, p.Entry.Text, p.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.errs = append(b.errs, text)
	b.mu.Unlock()
}

// Errors returns the page's uncaught exceptions, console errors and
// browser-logged errors (a Content-Security-Policy violation, a failed
// request) so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// Call sends a DevTools command to the page and decodes its result into
// result (when not nil).
func (b *Browser) Call(ctx context.Context, method string, params, result any) error {
	return b.call(ctx, b.session, method, params, result)
}

func (b *Browser) call(ctx context.Context, session, method string, params, result any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(raw, 0)); err != nil {
		return fmt.Errorf("chrome: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("chrome: %s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if result != nil && len(r.Result) > 0 {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("chrome: %s: the browser exited: %s", method, b.stderr.String())
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
		return fmt.Errorf("chrome: %s: %w", method, ctx.Err())
	}
}

// Navigate loads url and waits for its load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	var nav struct{ ErrorText string }
	if err := b.Call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("chrome: navigate to %s: %s", url, nav.ErrorText)
	}
	return b.WaitFor(ctx, `document.readyState === "complete"`)
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into result (when not nil).
func (b *Browser) Eval(ctx context.Context, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("chrome: evaluating %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if result != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, result)
	}
	return nil
}

// WaitFor polls a JavaScript expression until it is truthy or ctx ends.
func (b *Browser) WaitFor(ctx context.Context, expr string) error {
	var last error
	for {
		var ok bool
		err := b.Eval(ctx, "!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("chrome: waiting for %s: %w (last: %v)", expr, ctx.Err(), last)
			}
			return fmt.Errorf("chrome: waiting for %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Click scrolls the first element matching selector into view and clicks
// its centre with the mouse, as a person would: an element that is hidden,
// or covered there by another one (a closed drawer, a dialog's backdrop),
// is an error, not a click that lands elsewhere.
func (b *Browser) Click(ctx context.Context, selector string) error {
	x, y, err := b.centre(ctx, selector)
	if err != nil {
		return err
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		if err := b.Call(ctx, "Input.dispatchMouseEvent", map[string]any{
			"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Hover moves the mouse over the first element matching selector.
func (b *Browser) Hover(ctx context.Context, selector string) error {
	x, y, err := b.centre(ctx, selector)
	if err != nil {
		return err
	}
	return b.Call(ctx, "Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": x, "y": y}, nil)
}

// centre scrolls an element into view and returns its centre; an element
// that is not displayed is an error.
func (b *Browser) centre(ctx context.Context, selector string) (x, y float64, err error) {
	expr := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return null;
		el.scrollIntoView({block: "center", inline: "nearest"}); const r = el.getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const at = document.elementFromPoint(x, y);
		const name = (e) => e ? e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") : "nothing";
		return {X: x, Y: y, W: r.width, H: r.height, Hidden: getComputedStyle(el).visibility !== "visible",
			Covered: at === el || el.contains(at) ? "" : name(at)}; })()`, selector)
	var box *struct {
		X, Y, W, H float64
		Hidden     bool
		Covered    string
	}
	if err := b.Eval(ctx, expr, &box); err != nil {
		return 0, 0, err
	}
	switch {
	case box == nil:
		return 0, 0, fmt.Errorf("chrome: nothing matches %s", selector)
	case box.W == 0 || box.H == 0 || box.Hidden:
		return 0, 0, fmt.Errorf("chrome: %s is not displayed", selector)
	case box.Covered != "":
		return 0, 0, fmt.Errorf("chrome: %s is covered by %s where a click would land", selector, box.Covered)
	}
	return box.X, box.Y, nil
}

// Type types text into the focused element.
func (b *Browser) Type(ctx context.Context, text string) error {
	return b.Call(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// Press presses and releases a key, such as "Enter", on the focused element.
func (b *Browser) Press(ctx context.Context, key string) error {
	codes := map[string]int{"Enter": 13, "Tab": 9, "Escape": 27, "ArrowUp": 38, "ArrowDown": 40}
	for _, typ := range []string{"keyDown", "keyUp"} {
		p := map[string]any{"type": typ, "key": key, "code": key, "windowsVirtualKeyCode": codes[key]}
		if key == "Enter" && typ == "keyDown" {
			p["text"] = "\r"
		}
		if err := b.Call(ctx, "Input.dispatchKeyEvent", p, nil); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot captures the viewport as PNG.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	var shot struct{ Data string }
	if err := b.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// Close ends the browser and removes its profile.
func (b *Browser) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = b.call(ctx, "", "Browser.close", nil, nil)
	cancel()
	b.in.Close()
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	b.out.Close()
	os.RemoveAll(b.dir)
}
