// Command nbcompare compares notebooks executed by a Jupyter kernel with the notebooks and
// figures committed, cell by cell; with -update it stores the executed outputs and figures instead.
// notebooks/run-jupyter runs it after `jupyter nbconvert --execute`; it is not meant to be run by
// hand.
//
// Usage:
//
//	nbcompare -executed DIR [-stored DIR] [-runroot DIR] [-update] NOTEBOOK.ipynb...
//
// For each notebook it reads the committed one, STORED/NOTEBOOK.ipynb, and the executed one,
// DIR/NOTEBOOK.ipynb, and the figures the run wrote, DIR/NOTEBOOK.figures/ (the notebook's
// figures/ directory, which run-jupyter empties before each notebook and moves there after it).
// The committed figures are in STORED/figures.
//
// What must be equal, for every code cell, in notebook order:
//
//   - the text written to stdout, and the text written to stderr, each as a whole;
//   - the other outputs (display_data, execute_result, error), in order: their type, their data
//     for every MIME type (images compared as decoded bytes, text as text) and their metadata;
//   - the execution count.
//
// Every figure the run wrote must be byte for byte the committed one, and a committed figure of
// the notebook (same number prefix, 01-*) must still be written.
//
// What may differ, and why:
//
//   - what ipynb.Mask masks in text: printed durations, and the checkout's directory in GoNB's
//     %goworkfix line;
//   - how stdout and stderr interleave and are cut into stream outputs: GoNB copies the
//     program's two pipes in two goroutines, so their order and chunks depend on scheduling;
//   - cell metadata: nbclient records the times of execution there (metadata.execution);
//   - the notebook's metadata: nbconvert writes the kernel's language_info (GoNB v0.10.6 reports
//     an empty mimetype and this machine's Go version); it is not an output.
//
// Each notebook's first differing cell is shown with a diff of the stored (-) and the kernel's
// (+) output; the exit status is 1 when anything differs, 2 on bad usage.
//
// With -update, the executed outputs and execution counts replace the stored ones in every code
// cell (the stored notebook's other fields are kept, and it is written in nbformat's layout), a
// cell's stream outputs arranged as the notebooks test stores them (all stdout, then all stderr,
// between the other outputs), and RUNROOT, the directory the notebooks ran in (a copy of the
// repository), written as the repository's directory (STORED/..), as if they had run there. The
// written figures are copied to STORED/figures and the notebook's committed figures it no longer
// writes are removed. Nothing is stored when an executed cell has an error output.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/gif"  // figures may be GIF
	_ "image/jpeg" // or JPEG
	_ "image/png"  // and are PNG
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gorgonet/notebooks/internal/ipynb"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, with its arguments and outputs; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: nbcompare -executed DIR [-stored DIR] [-runroot DIR] [-update] NOTEBOOK.ipynb..."
	fs := flag.NewFlagSet("nbcompare", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is said in one line, below
	stored := fs.String("stored", "notebooks", "the directory of the committed notebooks (and their figures/)")
	executed := fs.String("executed", "", "the directory of the executed notebooks and their NAME.figures/ `dir`ectories")
	runRoot := fs.String("runroot", "", "the `dir`ectory the notebooks ran in, written as STORED/.. with -update")
	update := fs.Bool("update", false, "store the executed outputs and figures instead of comparing")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nbcompare: %v (%s)\n", err, usage)
		return 2
	}
	if *executed == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	status := 0
	for _, name := range fs.Args() {
		c := &check{name: filepath.Base(name), stored: *stored, executed: *executed}
		var err error
		if *update {
			err = c.update(stdout, *runRoot)
		} else {
			var same bool
			same, err = c.compare(stdout)
			if err == nil && !same {
				status = 1
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "nbcompare: %v\n", err)
			return 1
		}
	}
	return status
}

// A check is one notebook's comparison.
type check struct {
	name             string // 01-neuron-and-xor.ipynb
	stored, executed string // directories
}

func (c *check) base() string { return strings.TrimSuffix(c.name, ".ipynb") }

// compare reports on w how the executed notebook and its figures differ from the stored ones;
// same is whether they do not.
func (c *check) compare(w io.Writer) (same bool, err error) {
	old, err := readNotebook(filepath.Join(c.stored, c.name))
	if err != nil {
		return false, err
	}
	got, err := readNotebook(filepath.Join(c.executed, c.name))
	if err != nil {
		return false, err
	}
	diffs, err := cellDiffs(old, got)
	if err != nil {
		return false, err
	}
	figs, err := c.figureDiffs()
	if err != nil {
		return false, err
	}
	if len(diffs) == 0 && len(figs) == 0 {
		fmt.Fprintf(w, "%s: every cell and figure as stored\n", c.name)
		return true, nil
	}
	if len(diffs) > 0 {
		d := diffs[0]
		fmt.Fprintf(w, "%s: %d code cell(s) differ from the stored outputs; the first, %s:\n", c.name, len(diffs), old.label(d.cell))
		fmt.Fprint(w, indent(old.excerpt(d.cell), "    | "))
		fmt.Fprint(w, d.text)
		if len(diffs) > 1 {
			var rest []string
			for _, d := range diffs[1:] {
				rest = append(rest, old.label(d.cell))
			}
			fmt.Fprintf(w, "  also differ: %s\n", strings.Join(rest, "; "))
		}
	}
	for _, f := range figs {
		fmt.Fprintf(w, "%s: %s\n", c.name, f)
	}
	return false, nil
}

// --- notebooks -----------------------------------------------------------------------------

// A notebook is an .ipynb file held as raw JSON fields, so that rewriting it keeps every field
// it does not touch.
type notebook struct {
	name   string
	fields map[string]json.RawMessage
	cells  []map[string]json.RawMessage
}

func readNotebook(path string) (*notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb := &notebook{name: filepath.Base(path)}
	if err := json.Unmarshal(data, &nb.fields); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(nb.fields["cells"], &nb.cells); err != nil {
		return nil, fmt.Errorf("%s: cells: %w", path, err)
	}
	return nb, nil
}

func (nb *notebook) str(i int, key string) string {
	var s string
	_ = json.Unmarshal(nb.cells[i][key], &s)
	return s
}

// label names cell i in messages: its 1-based position and its id.
func (nb *notebook) label(i int) string {
	if id := nb.str(i, "id"); id != "" {
		return fmt.Sprintf("cell %d (id %q)", i+1, id)
	}
	return fmt.Sprintf("cell %d", i+1)
}

func (nb *notebook) source(i int) string {
	s, _ := ipynb.Multiline(nb.cells[i]["source"])
	return s
}

// excerpt is the start of cell i's source, to show which cell a diff is about.
func (nb *notebook) excerpt(i int) string {
	lines := ipynb.SplitLines(nb.source(i))
	const most = 6
	if len(lines) > most {
		lines = append(lines[:most], fmt.Sprintf("... (%d more lines)\n", len(lines)-most))
	}
	s := strings.Join(lines, "")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// An output is one entry of a code cell's outputs.
type output struct {
	OutputType string                     `json:"output_type"`
	Name       string                     `json:"name"`
	Text       json.RawMessage            `json:"text"`
	Data       map[string]json.RawMessage `json:"data"`
	Metadata   json.RawMessage            `json:"metadata"`
	Ename      string                     `json:"ename"`
	Evalue     string                     `json:"evalue"`
	Traceback  []string                   `json:"traceback"`
}

// cellOutputs is what the comparison sees of a code cell.
type cellOutputs struct {
	count   *int
	streams map[string]string // stdout, stderr: all their text
	others  []output          // the outputs that are not streams, in order
}

func (nb *notebook) outputs(i int) (*cellOutputs, error) {
	co := &cellOutputs{streams: map[string]string{}}
	if err := json.Unmarshal(nb.cells[i]["execution_count"], &co.count); err != nil && nb.cells[i]["execution_count"] != nil {
		return nil, fmt.Errorf("%s %s: execution_count: %w", nb.name, nb.label(i), err)
	}
	var outs []output
	if raw, ok := nb.cells[i]["outputs"]; ok {
		if err := json.Unmarshal(raw, &outs); err != nil {
			return nil, fmt.Errorf("%s %s: outputs: %w", nb.name, nb.label(i), err)
		}
	}
	for k, o := range outs {
		if o.OutputType != "stream" {
			co.others = append(co.others, o)
			continue
		}
		text, err := ipynb.Multiline(o.Text)
		if err != nil {
			return nil, fmt.Errorf("%s %s: output %d: text: %w", nb.name, nb.label(i), k+1, err)
		}
		co.streams[o.Name] += text
	}
	return co, nil
}

// --- comparing cells -------------------------------------------------------------------------

// A cellDiff says how one code cell's outputs differ.
type cellDiff struct {
	cell int    // 0-based position
	text string // what differs, one block per aspect, indented
}

// cellDiffs compares every code cell of the stored notebook old with the executed one.
func cellDiffs(old, got *notebook) ([]cellDiff, error) {
	if len(old.cells) != len(got.cells) {
		return nil, fmt.Errorf("%s: the executed notebook has %d cells, the stored one %d", old.name, len(got.cells), len(old.cells))
	}
	var diffs []cellDiff
	for i := range old.cells {
		typ := old.str(i, "cell_type")
		if got.str(i, "cell_type") != typ || got.source(i) != old.source(i) {
			return nil, fmt.Errorf("%s %s: the executed notebook's cell is not the stored one (other type or source)", old.name, old.label(i))
		}
		if typ != "code" {
			continue
		}
		o, err := old.outputs(i)
		if err != nil {
			return nil, err
		}
		g, err := got.outputs(i)
		if err != nil {
			return nil, err
		}
		if text := diffOutputs(o, g); text != "" {
			diffs = append(diffs, cellDiff{i, text})
		}
	}
	return diffs, nil
}

// diffOutputs describes how g differs from o, or returns "" when they are the same.
func diffOutputs(o, g *cellOutputs) string {
	var b strings.Builder
	if !equalCount(o.count, g.count) {
		fmt.Fprintf(&b, "  execution count: stored %s, kernel %s\n", countString(o.count), countString(g.count))
	}
	for _, name := range streamNames(o, g) {
		if ipynb.Mask(o.streams[name]) != ipynb.Mask(g.streams[name]) {
			fmt.Fprintf(&b, "  %s (- stored, + kernel):\n%s", name, lineDiff(o.streams[name], g.streams[name]))
		}
	}
	for k := range max(len(o.others), len(g.others)) {
		switch {
		case k >= len(o.others):
			fmt.Fprintf(&b, "  output %d: the kernel gives %s, not stored\n%s", k+1, describe(g.others[k]), indent(summary(g.others[k]), "    + "))
		case k >= len(g.others):
			fmt.Fprintf(&b, "  output %d: stored %s, the kernel gives none\n%s", k+1, describe(o.others[k]), indent(summary(o.others[k]), "    - "))
		default:
			if d := diffOutput(o.others[k], g.others[k]); d != "" {
				fmt.Fprintf(&b, "  output %d (%s):\n%s", k+1, describe(o.others[k]), d)
			}
		}
	}
	return b.String()
}

func equalCount(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func countString(n *int) string {
	if n == nil {
		return "none"
	}
	return fmt.Sprint(*n)
}

// streamNames returns the stream names of either: stdout, stderr, then any other sorted.
func streamNames(o, g *cellOutputs) []string {
	var names []string
	for _, co := range []*cellOutputs{o, g} {
		for n := range co.streams {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if r := streamRank(a) - streamRank(b); r != 0 {
			return r
		}
		return strings.Compare(a, b)
	})
	return names
}

// streamRank orders stream names: stdout, stderr, any other.
func streamRank(name string) int {
	switch name {
	case "stdout":
		return 0
	case "stderr":
		return 1
	}
	return 2
}

// describe names an output's type and MIME types.
func describe(o output) string {
	if o.OutputType == "error" {
		return "error " + o.Ename
	}
	types := make([]string, 0, len(o.Data))
	for t := range o.Data {
		types = append(types, t)
	}
	slices.Sort(types)
	return o.OutputType + " " + strings.Join(types, ", ")
}

// summary is a short text of an output: an error's message and traceback, or the text of its
// text/plain data.
func summary(o output) string {
	if o.OutputType == "error" {
		return o.Ename + ": " + o.Evalue + "\n" + strings.Join(o.Traceback, "\n") + "\n"
	}
	if raw, ok := o.Data["text/plain"]; ok {
		s, _ := ipynb.Multiline(raw)
		return s + "\n"
	}
	return ""
}

// diffOutput compares two outputs that are not streams; "" when they are the same.
func diffOutput(o, g output) string {
	var b strings.Builder
	if o.OutputType != g.OutputType {
		fmt.Fprintf(&b, "    type: stored %s, kernel %s\n", o.OutputType, g.OutputType)
	}
	if o.OutputType == "error" || g.OutputType == "error" {
		so, sg := summary(o), summary(g)
		if ipynb.Mask(so) != ipynb.Mask(sg) {
			b.WriteString(lineDiff(so, sg))
		}
		return b.String()
	}
	types := map[string]bool{}
	for t := range o.Data {
		types[t] = true
	}
	for t := range g.Data {
		types[t] = true
	}
	for _, t := range slices.Sorted(maps.Keys(types)) {
		ro, okO := o.Data[t]
		rg, okG := g.Data[t]
		switch {
		case !okO:
			fmt.Fprintf(&b, "    %s: the kernel gives it, not stored\n", t)
		case !okG:
			fmt.Fprintf(&b, "    %s: stored, the kernel gives none\n", t)
		case strings.HasPrefix(t, "image/") && t != "image/svg+xml":
			if d := diffImage(ro, rg); d != "" {
				fmt.Fprintf(&b, "    %s: %s\n", t, d)
			}
		default:
			so, errO := dataText(ro)
			sg, errG := dataText(rg)
			if err := errors.Join(errO, errG); err != nil {
				fmt.Fprintf(&b, "    %s: %v\n", t, err)
			} else if ipynb.Mask(so) != ipynb.Mask(sg) {
				fmt.Fprintf(&b, "    %s (- stored, + kernel):\n%s", t, lineDiff(so, sg))
			}
		}
	}
	if !jsonEqual(o.Metadata, g.Metadata) {
		fmt.Fprintf(&b, "    metadata: stored %s, kernel %s\n", compact(o.Metadata), compact(g.Metadata))
	}
	return b.String()
}

// dataText decodes a MIME bundle's value: a multi-line string, or JSON data (application/json)
// in its canonical encoding.
func dataText(raw json.RawMessage) (string, error) {
	if s, err := ipynb.Multiline(raw); err == nil {
		return s, nil
	}
	data, err := ipynb.Canonical(raw)
	return string(data), err
}

// diffImage compares two base64-encoded images by their decoded bytes; "" when equal.
func diffImage(ro, rg json.RawMessage) string {
	decode := func(raw json.RawMessage) ([]byte, error) {
		s, err := ipynb.Multiline(raw)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' {
				return -1
			}
			return r
		}, s))
	}
	o, errO := decode(ro)
	g, errG := decode(rg)
	if err := errors.Join(errO, errG); err != nil {
		return fmt.Sprintf("not base64: %v", err)
	}
	return diffImageBytes(o, g)
}

// diffImageBytes says how two encoded images differ, "" when they are byte for byte the same.
func diffImageBytes(o, g []byte) string {
	if bytes.Equal(o, g) {
		return ""
	}
	msg := fmt.Sprintf("%d bytes stored, %d from the kernel", len(o), len(g))
	imO, _, errO := image.Decode(bytes.NewReader(o))
	imG, _, errG := image.Decode(bytes.NewReader(g))
	if errO != nil || errG != nil {
		return msg
	}
	bo, bg := imO.Bounds(), imG.Bounds()
	if bo != bg {
		return fmt.Sprintf("%s; %dx%d stored, %dx%d from the kernel", msg, bo.Dx(), bo.Dy(), bg.Dx(), bg.Dy())
	}
	n := 0
	for y := bo.Min.Y; y < bo.Max.Y; y++ {
		for x := bo.Min.X; x < bo.Max.X; x++ {
			r1, g1, b1, a1 := imO.At(x, y).RGBA()
			r2, g2, b2, a2 := imG.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				n++
			}
		}
	}
	return fmt.Sprintf("%s; both %dx%d, %d pixels differ", msg, bo.Dx(), bo.Dy(), n)
}

func jsonEqual(a, b json.RawMessage) bool {
	norm := func(r json.RawMessage) string {
		if len(bytes.TrimSpace(r)) == 0 {
			return "{}"
		}
		c, err := ipynb.Canonical(r)
		if err != nil {
			return string(r)
		}
		return string(c)
	}
	return norm(a) == norm(b)
}

func compact(r json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, r); err != nil || b.Len() == 0 {
		return "{}"
	}
	return b.String()
}

// --- figures --------------------------------------------------------------------------------

// figureDiffs compares the figures the run wrote with the committed ones.
func (c *check) figureDiffs() ([]string, error) {
	written, err := c.written()
	if err != nil {
		return nil, err
	}
	var diffs []string
	for _, name := range written {
		committed := filepath.Join("figures", name)
		got, err := os.ReadFile(filepath.Join(c.executed, c.base()+".figures", name))
		if err != nil {
			return nil, err
		}
		want, err := os.ReadFile(filepath.Join(c.stored, committed))
		if errors.Is(err, os.ErrNotExist) {
			diffs = append(diffs, fmt.Sprintf("writes %s, which is not committed", committed))
			continue
		} else if err != nil {
			return nil, err
		}
		if d := diffImageBytes(want, got); d != "" {
			diffs = append(diffs, fmt.Sprintf("%s differs from the committed one: %s", committed, d))
		}
	}
	stale, err := c.stale(written)
	if err != nil {
		return nil, err
	}
	for _, name := range stale {
		diffs = append(diffs, fmt.Sprintf("no longer writes the committed %s", filepath.Join("figures", name)))
	}
	return diffs, nil
}

// written lists the files the run wrote to figures/, sorted.
func (c *check) written() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(c.executed, c.base()+".figures"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("%s writes a directory figures/%s: figures/ is for pictures", c.name, e.Name())
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// stale lists the committed figures of this notebook (named with its number prefix, as the
// notebooks test stores them) that the run did not write.
func (c *check) stale(written []string) ([]string, error) {
	prefix, _, _ := strings.Cut(c.name, "-")
	committed, err := filepath.Glob(filepath.Join(c.stored, "figures", prefix+"-*"))
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, f := range committed {
		if !slices.Contains(written, filepath.Base(f)) {
			stale = append(stale, filepath.Base(f))
		}
	}
	return stale, nil
}

// --- updating -------------------------------------------------------------------------------

// update stores the executed outputs and figures in the stored notebook and figures/.
func (c *check) update(w io.Writer, runRoot string) error {
	path := filepath.Join(c.stored, c.name)
	old, err := readNotebook(path)
	if err != nil {
		return err
	}
	got, err := readNotebook(filepath.Join(c.executed, c.name))
	if err != nil {
		return err
	}
	if _, err := cellDiffs(old, got); err != nil { // same cells
		return err
	}
	repoRoot, err := filepath.Abs(filepath.Join(c.stored, ".."))
	if err != nil {
		return err
	}
	changed := 0
	for i := range old.cells {
		if old.str(i, "cell_type") != "code" {
			continue
		}
		g, err := got.outputs(i)
		if err != nil {
			return err
		}
		for _, o := range g.others {
			if o.OutputType == "error" {
				return fmt.Errorf("%s %s failed under the kernel (%s: %s); nothing stored", c.name, old.label(i), o.Ename, o.Evalue)
			}
		}
		outs, err := storedOutputs(got.cells[i]["outputs"], runRoot, repoRoot)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.name, old.label(i), err)
		}
		count := got.cells[i]["execution_count"]
		if count == nil {
			count = json.RawMessage("null")
		}
		if !jsonEqual(old.cells[i]["outputs"], outs) || !jsonEqual(old.cells[i]["execution_count"], count) {
			changed++
		}
		old.cells[i]["outputs"], old.cells[i]["execution_count"] = outs, count
	}
	cells, err := json.Marshal(old.cells)
	if err != nil {
		return err
	}
	old.fields["cells"] = cells
	top, err := json.Marshal(old.fields)
	if err != nil {
		return err
	}
	data, err := ipynb.Canonical(top)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}

	written, err := c.written()
	if err != nil {
		return err
	}
	figures := filepath.Join(c.stored, "figures")
	if err := os.MkdirAll(figures, 0o755); err != nil {
		return err
	}
	for _, name := range written {
		data, err := os.ReadFile(filepath.Join(c.executed, c.base()+".figures", name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(figures, name), data, 0o644); err != nil {
			return err
		}
	}
	stale, err := c.stale(written)
	if err != nil {
		return err
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(figures, name)); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s no longer writes figures/%s: removed\n", c.name, name)
	}
	fmt.Fprintf(w, "%s: stored the kernel's outputs (%d code cells changed) and %d figures\n", c.name, changed, len(written))
	return nil
}

// storedOutputs returns a cell's executed outputs as they are stored: between two outputs that
// are not streams (and before the first, after the last), all the stdout text as one stream
// output, then all the stderr text as another, as the notebooks test stores them (their order
// and how they are cut is up to scheduling, see the package doc); multi-line strings as lists of
// lines; runRoot written as repoRoot in every string.
func storedOutputs(raw json.RawMessage, runRoot, repoRoot string) (json.RawMessage, error) {
	var outs []map[string]any
	if err := json.Unmarshal(raw, &outs); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	stored := []map[string]any{}
	var streams []string                   // names, in the order stored
	texts := map[string]*strings.Builder{} // by name
	flush := func() {
		slices.SortStableFunc(streams, func(a, b string) int { return streamRank(a) - streamRank(b) })
		for _, name := range streams {
			stored = append(stored, map[string]any{"name": name, "output_type": "stream", "text": ipynb.SplitLines(texts[name].String())})
		}
		streams, texts = nil, map[string]*strings.Builder{}
	}
	for _, o := range outs {
		if o["output_type"] != "stream" {
			flush()
			stored = append(stored, o)
			continue
		}
		text, err := ipynb.Multiline(mustMarshal(o["text"]))
		if err != nil {
			return nil, fmt.Errorf("stream text: %w", err)
		}
		name, _ := o["name"].(string)
		if texts[name] == nil {
			texts[name] = &strings.Builder{}
			streams = append(streams, name)
		}
		texts[name].WriteString(text)
	}
	flush()
	v := replaceStrings(any(stored), func(s string) string {
		if runRoot == "" {
			return s
		}
		return strings.ReplaceAll(s, runRoot, repoRoot)
	})
	return mustMarshal(v), nil
}

// replaceStrings applies f to every string in v (decoded JSON), keys excepted.
func replaceStrings(v any, f func(string) string) any {
	switch v := v.(type) {
	case string:
		return f(v)
	case []string:
		for i := range v {
			v[i] = f(v[i])
		}
		return v
	case []any:
		for i := range v {
			v[i] = replaceStrings(v[i], f)
		}
		return v
	case []map[string]any:
		for i := range v {
			v[i] = replaceStrings(v[i], f).(map[string]any)
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = replaceStrings(v[k], f)
		}
		return v
	}
	return v
}

func mustMarshal(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only decoded JSON values are encoded
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// --- text diffs -------------------------------------------------------------------------------

// lineDiff shows a unified diff of two texts (- want, + got) with two lines of context, lines
// equal when their masked texts are.
func lineDiff(want, got string) string {
	a, b := ipynb.SplitLines(want), ipynb.SplitLines(got)
	// lcs[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if ipynb.Mask(a[i]) == ipynb.Mask(b[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && ipynb.Mask(a[i]) == ipynb.Mask(b[j]):
			ops = append(ops, line{' ', a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', a[i]})
			i++
		default:
			ops = append(ops, line{'+', b[j]})
			j++
		}
	}
	const context = 2
	var s strings.Builder
	last := -1 // the last line shown
	for k, op := range ops {
		near := false
		for d := max(0, k-context); d <= min(len(ops)-1, k+context); d++ {
			if ops[d].op != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			s.WriteString("    ...\n")
		}
		last = k
		text := visible(strings.TrimSuffix(op.text, "\n"))
		if !strings.HasSuffix(op.text, "\n") && op.op != ' ' {
			text += "   (no newline at the end)"
		}
		fmt.Fprintf(&s, "    %c %s\n", op.op, text)
	}
	return s.String()
}

// visible returns a line as it is, or quoted in Go syntax when it holds control characters
// other than tabs (a carriage return, an escape sequence), which a terminal would not show.
func visible(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
		return strconv.Quote(s)
	}
	return s
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := ipynb.SplitLines(s)
	for i, l := range lines {
		lines[i] = prefix + l
	}
	out := strings.Join(lines, "")
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out
}
