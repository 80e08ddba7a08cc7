package serve

import (
	"context"
	"flag"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gorgonet/model"
)

var (
	updateScreenshot = flag.Bool("update-screenshot", false, "write the browser test's screenshot to docs/images/serve.png")
	screenshotModel  = flag.String("screenshot-model", "", "serve this model file in the browser test instead of the quickly trained one")
)

// screenshotPath is where -update-screenshot writes the picture README shows.
const screenshotPath = "../../docs/images/serve.png"

// chromium returns the path of Debian's chromium (or another Chrome), or skips the test with an
// install hint; under CI (CI=true) a missing browser fails the test instead.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const hint = "chromium is not installed: the browser test needs it (Debian: apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}

// browser starts a headless chromium with a fresh profile and no network but the loopback, and
// returns a context for chromedp.Run. It is stopped when the test ends.
func browser(t *testing.T, exe string, width, height int) context.Context {
	profile, err := os.MkdirTemp("", "serve-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// chromium's child processes may still write in the profile for a moment after it stops.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // as root in a container, chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}
	// The whole browser lives at most two minutes, whatever happens.
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 2*time.Minute)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	return bctx
}

// startServer serves the test model (or -screenshot-model) on loopback until the test ends, and
// returns the page's URL.
func startServer(t *testing.T) string {
	saved := fixModel(t)
	if *screenshotModel != "" {
		var err error
		if saved, err = model.Load(*screenshotModel); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(saved, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return PageURL(ln.Addr())
}

// rect is an element's box in CSS pixels of the viewport.
type rect struct{ X, Y, W, H float64 }

const rectJS = `(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`

// draw presses the mouse at the first point of each stroke, moves through the others in steps of
// about 4 pixels and releases it; points are fractions of the box.
func draw(box rect, strokes ...[][2]float64) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	at := func(p [2]float64) (float64, float64) { return box.X + p[0]*box.W, box.Y + p[1]*box.H }
	for _, s := range strokes {
		x, y := at(s[0])
		steps = append(steps, chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		for i := 1; i < len(s); i++ {
			x0, y0 := at(s[i-1])
			x1, y1 := at(s[i])
			n := max(1, int(math.Hypot(x1-x0, y1-y0)/4))
			for k := 1; k <= n; k++ {
				f := float64(k) / float64(n)
				steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+f*(x1-x0), y0+f*(y1-y0), chromedp.ButtonLeft))
			}
		}
		x, y = at(s[len(s)-1])
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}
	return chromedp.Steps(steps...)
}

// shown is what the page shows of its answer.
type shown struct {
	State, Digit string
	Bars         []float64 // the width of each probability bar, in CSS pixels
	Top          []int     // the indices of the bars marked as the most probable
	Ink          int       // pixels of the 28x28 picture that are not black
	Overflow     bool      // the page is wider than the window
}

const shownJS = `(() => {
	const bars = [...document.querySelectorAll("#bars li")];
	const c = document.getElementById("prepared");
	const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	let ink = 0;
	for (let i = 0; i < px.length; i += 4) if (px[i] > 0) ink++;
	return {
		State: document.body.dataset.state,
		Digit: document.getElementById("digit").textContent,
		Bars: bars.map(li => li.querySelector(".fill").getBoundingClientRect().width),
		Top: bars.flatMap((li, i) => li.classList.contains("top") ? [i] : []),
		Ink: ink,
		Overflow: document.documentElement.scrollWidth > window.innerWidth,
	};
})()`

// The page in a real browser: a 7 drawn with the mouse is read as 7, with ten bars, the widest
// being 7's, and the 28x28 picture drawn; C clears it; a chosen image file is read too; and on a
// phone-sized screen nothing sticks out sideways.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	if testing.Short() {
		t.Skip("-short: starts a browser")
	}
	url := startServer(t)
	ctx := browser(t, exe, 1000, 720)
	waitState := func(states string) string {
		t.Helper()
		state, err := chromedp.Run(ctx, chromedp.Poll[string](`["`+states+`"].includes(document.body.dataset.state) && document.body.dataset.state`,
			chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			t.Fatalf("waiting for the page to be %s: %v", states, err)
		}
		return state
	}
	// look returns what the page shows once its bars have stopped moving (they grow and shrink
	// in 0.15 s).
	look := func() shown {
		t.Helper()
		var last shown
		for i := range 40 {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](shownJS))
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && slices.Equal(got.Bars, last.Bars) {
				return got
			}
			last = got
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the bars keep moving: %v", last.Bars)
		return last
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	waitState("ready")
	box, err := chromedp.Run(ctx, chromedp.Evaluate[rect](rectJS))
	if err != nil || box.W < 100 || math.Abs(box.W-box.H) > 1 {
		t.Fatalf("the drawing square: %+v, %v", box, err)
	}
	seven := [][2]float64{{0.28, 0.22}, {0.72, 0.22}, {0.62, 0.45}, {0.47, 0.82}}
	if err := chromedp.Do(ctx, draw(box, seven)); err != nil {
		t.Fatal(err)
	}
	if state := waitState(`answered", "blank", "error`); state != "answered" {
		t.Fatalf("after drawing a 7 the page is %q", state)
	}
	got := look()
	t.Logf("drawn 7: %+v", got)
	if got.Digit != "7" || len(got.Bars) != 10 || !slices.Equal(got.Top, []int{7}) || got.Ink < 20 {
		t.Errorf("after drawing a 7 the page shows %q, %d bars, top %v, %d pixels of ink; want 7, 10, [7], some", got.Digit, len(got.Bars), got.Top, got.Ink)
	} else if widest := slices.Index(got.Bars, slices.Max(got.Bars)); widest != 7 || got.Bars[7] <= 0 {
		t.Errorf("bar widths %v: the widest is %d's", got.Bars, widest)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "serve.png")
	if *updateScreenshot {
		out = screenshotPath
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	// C clears everything.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("c")); err != nil {
		t.Fatal(err)
	}
	if got = look(); got.State != "ready" || got.Digit != "?" || got.Ink != 0 || slices.Max(got.Bars) != 0 || len(got.Top) != 0 {
		t.Errorf("after C the page shows %+v", got)
	}

	// An image file chosen with the file button.
	digit4, err := filepath.Abs("../../cmd/mnist/testdata/digit4.png")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#file", []string{digit4})); err != nil {
		t.Fatal(err)
	}
	if state := waitState(`answered", "blank", "error`); state != "answered" {
		t.Fatalf("after choosing digit4.png the page is %q", state)
	}
	if got = look(); got.Digit != "4" || !slices.Equal(got.Top, []int{4}) {
		t.Errorf("after choosing digit4.png the page shows %+v", got)
	}

	// A phone-sized screen: the square fits and nothing is wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	if box, err = chromedp.Run(ctx, chromedp.Evaluate[rect](rectJS)); err != nil || box.W > 390 || box.W < 200 {
		t.Errorf("on a 390 px wide screen the square is %+v (%v)", box, err)
	}
	if got = look(); got.Overflow {
		t.Errorf("on a 390 px wide screen the page is wider than the screen")
	}
	if shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatal(err)
	}
	phone := filepath.Join(t.TempDir(), "serve-phone.png")
	if err := os.WriteFile(phone, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot on a phone-sized screen: %s", phone)
}
