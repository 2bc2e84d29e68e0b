package reconcile_test

import (
	"bytes"
	"context"
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
	// funnel + one funded chart per currency (AUD, MDL, NZD)
	if !strings.Contains(dom, `data-ready="4"`) {
		t.Errorf("the script did not confirm 4 rendered charts")
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
