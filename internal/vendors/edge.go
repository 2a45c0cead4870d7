package vendors

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/incident-bot/bot/internal/runbook"
)

// A CDN or web application firewall in front of a vendor can answer
// instead of the vendor: a challenge or block page judges our address or
// our request, never our token. edgeAnswer recognises the pages of
// Cloudflare, Akamai, AWS (WAF, CloudFront, load balancers) and Fastly by
// the headers and body their documentation describes; the fixtures under
// testdata/answers/_edge name the pages.

// edgeInfo is what the edge's answer says.
type edgeInfo struct {
	edge      string        // Cloudflare, Akamai, AWS WAF, AWS CloudFront, Fastly
	class     runbook.Class // blocked, rate_limited or vendor_error; empty: not the edge's own verdict
	note      string        // why, for the report
	what      string        // the page in a few words
	requestID string        // the edge's id of the request (CF-RAY, X-Amz-Cf-Id, Akamai's reference)
}

var (
	cfErrorCode  = regexp.MustCompile(`(?i)error(?: code)?:?\s*(\d{3,4})`)
	akamaiRef    = regexp.MustCompile(`Reference\s*#\s*([0-9a-fA-F.]+)`)
	cfBlockWords = []string{"sorry, you have been blocked", "attention required! | cloudflare", "access denied", "you are unable to access"}
)

// edgeAnswer recognises an answer written by a CDN or firewall. ok is
// false for an answer that bears no edge's mark; class is empty for one
// that passed through an edge (a CF-RAY on the vendor's own answer) but
// is not the edge's verdict.
func edgeAnswer(status int, h http.Header, raw []byte, isJSON bool) (edgeInfo, bool) {
	lower := bytes.ToLower(raw)
	server := strings.ToLower(h.Get("Server"))
	has := func(s string) bool { return bytes.Contains(lower, []byte(s)) }

	// Cloudflare documents cf-mitigated: challenge on every challenge page.
	if strings.EqualFold(strings.TrimSpace(h.Get("Cf-Mitigated")), "challenge") {
		return edgeInfo{edge: "Cloudflare", class: runbook.ClassBlocked, requestID: h.Get("Cf-Ray"),
			note: "a Cloudflare challenge page (cf-mitigated: challenge): an API client cannot pass it",
			what: "Cloudflare challenge page"}, true
	}
	// AWS WAF's CAPTCHA (405) and Challenge (202) actions name themselves.
	if act := strings.ToLower(strings.TrimSpace(h.Get("X-Amzn-Waf-Action"))); act != "" {
		return edgeInfo{edge: "AWS WAF", class: runbook.ClassBlocked, requestID: firstHeader(h, "X-Amz-Cf-Id", "X-Amzn-Requestid"),
			note: "an AWS WAF " + act + " (x-amzn-waf-action: " + act + "): an API client cannot pass it",
			what: "AWS WAF " + act + " page"}, true
	}
	if isJSON {
		// The vendor's own answer, perhaps through a CDN: its id may still
		// help the vendor's support.
		if id := firstHeader(h, "Cf-Ray", "X-Amz-Cf-Id"); id != "" {
			return edgeInfo{requestID: id}, true
		}
		return edgeInfo{}, false
	}

	switch {
	case server == "cloudflare" || h.Get("Cf-Ray") != "":
		e := edgeInfo{edge: "Cloudflare", requestID: h.Get("Cf-Ray")}
		code := 0
		if m := cfErrorCode.FindSubmatch(raw); m != nil {
			code, _ = strconv.Atoi(string(m[1]))
		}
		switch {
		case code == 1015:
			e.class = runbook.ClassRateLimited
			e.note = "Cloudflare rate limiting in front of the vendor (error 1015): slow down"
			e.what = "Cloudflare error 1015 (rate limited)"
		case code >= 520 && code <= 530:
			e.class = runbook.ClassVendorError
			e.note = "Cloudflare got no good answer from the vendor's own servers (error " + strconv.Itoa(code) + ")"
			e.what = "Cloudflare error " + strconv.Itoa(code)
		case code >= 1000 && code < 2000:
			e.class = runbook.ClassBlocked
			e.note = "a Cloudflare block page (error " + strconv.Itoa(code) + ")"
			e.what = "Cloudflare error " + strconv.Itoa(code)
		case (status == http.StatusForbidden || status == http.StatusServiceUnavailable) && (has("just a moment") || has("challenge-platform")):
			e.class = runbook.ClassBlocked
			e.note = "a Cloudflare challenge page: an API client cannot pass it"
			e.what = "Cloudflare challenge page"
		case status == http.StatusForbidden && containsAny(lower, cfBlockWords):
			e.class = runbook.ClassBlocked
			e.note = "a Cloudflare block page"
			e.what = "Cloudflare block page"
		}
		return e, true

	case strings.HasPrefix(server, "akamaighost") || (has("access denied") && has("errors.edgesuite.net")):
		e := edgeInfo{edge: "Akamai"}
		if m := akamaiRef.FindSubmatch([]byte(html.UnescapeString(string(raw)))); m != nil {
			e.requestID = "Reference #" + string(m[1])
		}
		if status == http.StatusForbidden && has("access denied") {
			e.class = runbook.ClassBlocked
			e.note = "an Akamai \"Access Denied\" page"
			e.what = "Akamai Access Denied page"
		}
		return e, true

	case server == "cloudfront" || strings.Contains(strings.ToLower(h.Get("X-Cache")), "cloudfront"):
		e := edgeInfo{edge: "AWS CloudFront", requestID: h.Get("X-Amz-Cf-Id")}
		switch {
		case status == http.StatusForbidden && has("request blocked"):
			e.edge = "AWS WAF"
			e.class = runbook.ClassBlocked
			e.note = "a CloudFront \"Request blocked\" page (AWS WAF)"
			e.what = "CloudFront Request blocked page"
		case status >= 500:
			e.class = runbook.ClassVendorError
			e.note = "CloudFront could not get an answer from the vendor's own servers"
			e.what = "CloudFront error page"
		}
		return e, true

	case strings.HasPrefix(server, "awselb") && status == http.StatusForbidden:
		return edgeInfo{edge: "AWS WAF", class: runbook.ClassBlocked, requestID: h.Get("X-Amzn-Requestid"),
			note: "a 403 page from the vendor's AWS load balancer (AWS WAF's default block)",
			what: "AWS load balancer 403 page"}, true

	case fastly(h):
		e := edgeInfo{edge: "Fastly", requestID: h.Get("X-Served-By")}
		if status == http.StatusNotAcceptable || status == http.StatusForbidden {
			e.class = runbook.ClassBlocked
			e.note = "a Fastly (Next-Gen WAF) block answer"
			e.what = "Fastly block answer"
		}
		return e, true
	}
	return edgeInfo{}, false
}

// fastly reports whether Fastly's caches served the answer.
func fastly(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Server")), "fastly") ||
		strings.HasPrefix(strings.ToLower(h.Get("X-Served-By")), "cache-") ||
		h.Get("Fastly-Debug-Digest") != ""
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

func containsAny(b []byte, words []string) bool {
	for _, w := range words {
		if bytes.Contains(b, []byte(w)) {
			return true
		}
	}
	return false
}
