package reconcile_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/reconcile"
)

// chromium finds Debian's Chromium. Without it the test is skipped loudly,
// except under CI (LEADPIPE_CI=1), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "HTML RENDER CHECK SKIPPED: needs Chromium (apt-get install -y chromium; .ci/run does it)"
	if os.Getenv("LEADPIPE_CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestHTMLRendersInChromium opens the report of the basic case in headless
// Chromium: the page's script must run without an error and confirm that
// every chart rendered (it then appends ✓ to the title), and a screenshot
// must show the charts' colours, not a blank page.
func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromium(t)
	o := loadCase(t, "testcases/basic")
	r, err := reconcile.Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) || bytes.Contains(page, []byte(" src=")) {
		t.Error("the page refers to something outside itself; it must be self-contained")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path

	dom := string(runChromium(t, bin, "--virtual-time-budget=5000", "--dump-dom", url))
	title := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(dom)
	if title == nil || title[1] != "leadpipe reconciliation 2026-11-21 ✓" {
		t.Fatalf("page title after its script ran: %q (want the ✓ the script sets once every chart rendered)", title)
	}
	// funnel + one funded chart per currency with dated loans (AUD, NZD;
	// the MDL loans have no funding date)
	if !strings.Contains(dom, `data-ready="3"`) {
		t.Errorf("the script did not confirm 3 rendered charts")
	}

	shot := filepath.Join(dir, "shot.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,900", "--hide-scrollbars", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The funnel's "funded" bar is #2e9e5b, "declined" #d64545: both must
	// be on screen, in more than a few pixels.
	if n := countColor(img, 0x2e, 0x9e, 0x5b); n < 200 {
		t.Errorf("screenshot has %d pixels of the funded bar's colour; the chart did not render", n)
	}
	if n := countColor(img, 0xd6, 0x45, 0x45); n < 100 {
		t.Errorf("screenshot has %d pixels of the declined bar's colour; the chart did not render", n)
	}
	if distinct := distinctColors(img); distinct < 8 {
		t.Errorf("screenshot has %d distinct colours: blank", distinct)
	}
	if os.Getenv("LEADPIPE_KEEP_SCREENSHOT") != "" {
		_ = os.WriteFile(os.Getenv("LEADPIPE_KEEP_SCREENSHOT"), mustRead(t, shot), 0o644)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countColor(img image.Image, r, g, b uint8) int {
	n := 0
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if near(cr>>8, r) && near(cg>>8, g) && near(cb>>8, b) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, w uint8) bool { d := int(v) - int(w); return d > -6 && d < 6 }

func distinctColors(img image.Image) int {
	seen := map[uint32]bool{}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 3 {
		for x := bd.Min.X; x < bd.Max.X; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|b>>8] = true
		}
	}
	return len(seen)
}

// TestHTMLFitsTheScreenAndA4 lays the report out in Chromium at 1280 px,
// and with its print rules at the width of an A4 portrait page (210 mm less
// 12 mm margins: 703 CSS px): no table may be wider than its container, so
// no column hides behind a scrollbar or falls off the printed page. The
// case is made wide on purpose: every section has rows, with long keys,
// reasons and details.
func TestHTMLFitsTheScreenAndA4(t *testing.T) {
	bin := chromium(t)
	o := loadCase(t, "testcases/basic")
	r, err := reconcile.Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Submissions", "Funnel", "Repayments", "Exceptions"} {
		if n := strings.Count(r.Markdown(), "## "+s); n != 1 {
			t.Fatalf("the case has no %s section", s)
		}
	}
	// The widest numbers a report can hold, in every amount and count.
	wide := *r
	const big, many = -99_999_999_999, 99_999
	wide.Funded = append([]reconcile.Funded(nil), r.Funded...)
	for i := range wide.Funded {
		f := &wide.Funded[i]
		f.Loans, f.Principal, f.Commission, f.CommissionLoans = many, big, big, many
	}
	wide.Repayments = append([]reconcile.Repayment(nil), r.Repayments...)
	for i := range wide.Repayments {
		rp := &wide.Repayments[i]
		rp.Pushes, rp.Pushed, rp.Unconfirmed, rp.UnconfirmedAmount = many, big, many, big
		rp.Expected, rp.VendorChange, rp.Difference, rp.RepaidNow = big, big, big, big
	}
	wide.Submissions = append([]reconcile.Submissions(nil), r.Submissions...)
	for i := range wide.Submissions {
		s := &wide.Submissions[i]
		s.Sent, s.Accepted, s.RejectedVendor, s.RejectedValidation, s.Pending, s.Waiting = many, many, many, many, many, many
		s.Found, s.Awaiting, s.NotSeen, s.Funded = many, many, many, many
	}
	for _, rep := range []*reconcile.Report{r, &wide} {
		page, err := rep.HTML()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(path, page, 0o644); err != nil {
			t.Fatal(err)
		}
		if tables := strings.Count(string(page), "<table "); tables < 8 {
			t.Fatalf("the page has %d tables, want every section's", tables)
		}
		layout := regexp.MustCompile(`data-layout="([^"]*)"`)
		for _, c := range []struct {
			name, url string
			width     int
		}{
			{"screen 1280px", "file://" + path, 1280},
			{"A4 portrait print", "file://" + path + "#print", 703},
		} {
			dom := string(runChromium(t, bin, "--virtual-time-budget=5000", "--hide-scrollbars",
				fmt.Sprintf("--window-size=%d,1000", c.width), "--dump-dom", c.url))
			m := layout.FindStringSubmatch(dom)
			if m == nil {
				t.Errorf("%s: the page's script did not report its layout", c.name)
				continue
			}
			if !strings.HasPrefix(m[1], fmt.Sprintf("fits %d", c.width)) {
				t.Errorf("%s (widest numbers: %v): %s", c.name, rep == &wide, m[1])
			}
		}
	}
}
