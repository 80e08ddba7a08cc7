package notebooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"image"
	_ "image/png" // figures are PNG
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	// The notebooks' programs are built from these packages. Importing them here ties go test's
	// cached result of this package to their sources: a change in any of them re-runs the notebooks.
	_ "gorgonet/dataset"
	_ "gorgonet/model"
	_ "gorgonet/train"
	_ "gorgonet/train/plot"

	"gorgonet/notebooks/internal/ipynb"
)

var update = flag.Bool("update", false, "re-run the notebooks and store their fresh outputs and figures in them")

// The kernel every notebook declares: GoNB's.
var (
	wantKernelspec   = map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}
	wantLanguageInfo = map[string]string{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"}
)

// figuresDir is where the notebooks write their pictures, relative to the notebook.
const figuresDir = "figures"

// --- reading and writing notebooks -----------------------------------------------------------

// A notebook is an .ipynb file held as raw JSON fields, so that rewriting it (-update) keeps
// every field it does not touch.
type notebook struct {
	name   string // file name: 01-neuron-and-xor.ipynb
	path   string
	fields map[string]json.RawMessage // the top-level object
	cells  []map[string]json.RawMessage
}

func readNotebook(path string) (*notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb := &notebook{name: filepath.Base(path), path: path}
	if err := json.Unmarshal(data, &nb.fields); err != nil {
		return nil, fmt.Errorf("%s: %w", nb.name, err)
	}
	if err := json.Unmarshal(nb.fields["cells"], &nb.cells); err != nil {
		return nil, fmt.Errorf("%s: cells: %w", nb.name, err)
	}
	return nb, nil
}

// encode returns the notebook as nbformat writes it: keys sorted, an indent of one space, no
// escaping of non-ASCII or HTML characters, a final newline (ipynb.Canonical, which
// notebooks/run-jupyter -update writes with too).
func (nb *notebook) encode() ([]byte, error) {
	nb.fields["cells"] = mustJSON(nb.cells)
	return ipynb.Canonical(mustJSON(nb.fields))
}

func (nb *notebook) str(i int, key string) string {
	var s string
	_ = json.Unmarshal(nb.cells[i][key], &s)
	return s
}

func (nb *notebook) cellType(i int) string { return nb.str(i, "cell_type") }

// label names cell i in messages: its 1-based position in the notebook and its id.
func (nb *notebook) label(i int) string {
	if id := nb.str(i, "id"); id != "" {
		return fmt.Sprintf("%s cell %d (id %q)", nb.name, i+1, id)
	}
	return fmt.Sprintf("%s cell %d", nb.name, i+1)
}

func (nb *notebook) source(i int) string {
	s, _ := ipynb.Multiline(nb.cells[i]["source"])
	return s
}

// storedStream returns the text of cell i's stored stream outputs called name (stdout, stderr).
func (nb *notebook) storedStream(i int, name string) (string, error) {
	var outputs []map[string]json.RawMessage
	if raw, ok := nb.cells[i]["outputs"]; ok {
		if err := json.Unmarshal(raw, &outputs); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	for _, o := range outputs {
		var typ, n string
		_ = json.Unmarshal(o["output_type"], &typ)
		_ = json.Unmarshal(o["name"], &n)
		if typ == "stream" && n == name {
			s, err := ipynb.Multiline(o["text"])
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		}
	}
	return b.String(), nil
}

// mustJSON encodes v compactly, leaving <, > and & as they are (json.Marshal would escape them,
// and the escapes would survive into the file through the json.RawMessage).
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// notebookPaths returns the notebooks of this directory, sorted.
func notebookPaths(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no notebook (*.ipynb) in the notebooks directory")
	}
	slices.Sort(paths)
	return paths
}

// --- assembling a notebook into one program, the way GoNB does ---------------------------------

// A goCell is the Go code of one code cell, split the way GoNB reads it.
type goCell struct {
	decls     string // declarations (imports, funcs, types, vars, consts); GoNB lines blanked
	body      string // the body of main() after %%, if any
	bodyLine  int    // 1-based line of the cell where body starts
	hasMain   bool
	magic     string // a cell magic (%%writefile, %%sh, ...) that makes the whole cell non-Go
	goWorkFix int    // how many %goworkfix lines it has
}

// hasGo reports whether the cell holds Go code that GoNB would compile.
func (c goCell) hasGo() bool { return c.magic == "" && (c.hasMain || strings.TrimSpace(c.decls) != "") }

// splitCell separates a code cell's declarations from its main body (after a %% or %main line)
// and blanks GoNB's own lines: ! and !* shell commands (with their \ continuation lines) and %
// special commands. Only lines starting in the first column are GoNB's (an indented !ok is Go);
// the prefix //gonb: is allowed, as GoNB allows it. Blanked lines stay as empty lines so that
// line numbers match the cell's.
func splitCell(src string) goCell {
	lines := strings.Split(src, "\n")
	var c goCell
	mainAt := -1
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(strings.TrimPrefix(lines[i], "//gonb:"), " \t\r")
		switch {
		case l == "%%" || strings.HasPrefix(l, "%% ") || l == "%main" || strings.HasPrefix(l, "%main "):
			if mainAt < 0 {
				mainAt = i
			}
			lines[i] = ""
		case strings.HasPrefix(l, "%%"):
			if i == 0 {
				c.magic = strings.Fields(l)[0]
				return c
			}
			lines[i] = ""
		case strings.HasPrefix(l, "!"):
			for strings.HasSuffix(strings.TrimRight(lines[i], " \t\r"), `\`) && i+1 < len(lines) {
				lines[i] = ""
				i++
			}
			lines[i] = ""
		case strings.HasPrefix(l, "%"):
			if strings.Fields(l)[0] == "%goworkfix" {
				c.goWorkFix++
			}
			lines[i] = ""
		}
	}
	if mainAt < 0 {
		c.decls = strings.Join(lines, "\n")
		return c
	}
	c.decls = strings.Join(lines[:mainAt], "\n")
	c.body = strings.Join(lines[mainAt+1:], "\n")
	c.bodyLine = mainAt + 2
	c.hasMain = true
	return c
}

// A program is a notebook assembled into one Go program.
type program struct {
	src       string
	cells     []int       // the code cells with Go, in notebook order (0-based notebook positions)
	goWorkFix map[int]int // the code cells with %goworkfix lines: how many
}

// checked returns the code cells whose output the runner knows, in notebook order: those with
// Go, and those with %goworkfix (see goWorkFixOutput). What GoNB's other commands (! lines, other
// % lines) print the runner does not know, so a cell of only those is not compared.
func (p *program) checked() []int {
	cells := slices.Clone(p.cells)
	for i := range p.goWorkFix {
		if !slices.Contains(cells, i) {
			cells = append(cells, i)
		}
	}
	slices.Sort(cells)
	return cells
}

// cellFile is the file name the program's //line directives give the code of cell i, so that
// compiler messages point into the notebook.
func cellFile(i int) string { return fmt.Sprintf("cell%02d", i+1) }

func marker(nonce, which string) string { return "\x1eGONB-CELL " + nonce + " " + which + "\x1e\n" }

// assemble builds the program GoNB would run for the whole notebook: every declaration cell at
// top level (imports merged into one block), and each %% cell as a function that main calls in
// notebook order after printing a marker to stdout and stderr. Positions keep pointing into the
// cells through //line directives.
func assemble(nb *notebook, nonce string) (*program, error) {
	p := &program{goWorkFix: map[int]int{}}
	type imp struct {
		spec, file string
		line, col  int
	}
	var imports []imp
	seen := map[string]bool{}
	var decls, bodies, calls, inits strings.Builder
	for i := range nb.cells {
		if nb.cellType(i) != "code" {
			continue
		}
		c := splitCell(nb.source(i))
		if c.goWorkFix > 0 {
			p.goWorkFix[i] = c.goWorkFix
		}
		if !c.hasGo() {
			continue
		}
		file := cellFile(i)
		p.cells = append(p.cells, i)
		if strings.TrimSpace(c.decls) != "" {
			const header = "package main\n"
			src := []byte(header + c.decls)
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, file, src, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, fmt.Errorf("%s does not parse:\n%s", nb.label(i), cellErrors(err))
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.GenDecl:
					if d.Tok != token.IMPORT {
						continue
					}
					for _, s := range d.Specs {
						s := s.(*ast.ImportSpec)
						spec := s.Path.Value
						if s.Name != nil {
							spec = s.Name.Name + " " + spec
						}
						if !seen[spec] {
							seen[spec] = true
							pos := fset.Position(s.Pos())
							imports = append(imports, imp{spec, file, pos.Line - 1, pos.Column})
						}
					}
					for o := fset.Position(d.Pos()).Offset; o < fset.Position(d.End()).Offset; o++ {
						if src[o] != '\n' {
							src[o] = ' '
						}
					}
				case *ast.FuncDecl:
					if d.Recv == nil && d.Name.Name == "main" {
						return nil, fmt.Errorf("%s declares func main(), which the runner does not support: start the cell with %%%% and keep only the body", nb.label(i))
					}
					// GoNB renames each func init_xxx() to init(): one per cell, all run.
					if d.Recv == nil && strings.HasPrefix(d.Name.Name, "init_") {
						fmt.Fprintf(&inits, "\t%s()\n", d.Name.Name)
					}
				}
			}
			fmt.Fprintf(&decls, "//line %s:1:1\n%s\n", file, src[len(header):])
		}
		if c.hasMain {
			fmt.Fprintf(&bodies, "func gonbCell%d() {\n//line %s:%d:1\n%s\n}\n\n", i+1, file, c.bodyLine, c.body)
			fmt.Fprintf(&calls, "\tgonbRunCell(%q, gonbCell%d)\n", marker(nonce, strconv.Itoa(i+1)), i+1)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Code generated by the notebooks test from %s; DO NOT EDIT.\n\npackage main\n\nimport (\n\tgonbRunnerOS \"os\"\n", nb.name)
	for _, im := range imports {
		fmt.Fprintf(&b, "//line %s:%d:%d\n%s\n", im.file, im.line, im.col, im.spec)
	}
	b.WriteString(")\n\n")
	b.WriteString(decls.String())
	b.WriteString("\n//line gonb-runner.go:1:1\n")
	b.WriteString(bodies.String())
	if inits.Len() > 0 {
		fmt.Fprintf(&b, "func init() {\n%s}\n\n", inits.String())
	}
	fmt.Fprintf(&b, "func main() {\n%s\tgonbRunCell(%q, nil)\n}\n\n", calls.String(), marker(nonce, "end"))
	b.WriteString(`func gonbRunCell(marker string, cell func()) {
	gonbRunnerOS.Stdout.WriteString(marker)
	gonbRunnerOS.Stderr.WriteString(marker)
	if cell != nil {
		cell()
	}
}
`)
	p.src = b.String()
	return p, nil
}

// cellErrors formats parse errors with line numbers of the cell (the parsed text had a package
// clause added in front).
func cellErrors(err error) string {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "\tline %d:%d: %s\n", e.Pos.Line-1, e.Pos.Column, e.Msg)
	}
	return b.String()
}

// cellRef matches the //line file names of cells in compiler messages.
var cellRef = regexp.MustCompile(`(?:\S*/)?cell(\d+):(\d+)(?::(\d+))?`)

// explainBuildErrors rewrites the compiler's cellNN:line:col references as "<notebook> cell N
// (id ...), line L:C".
func explainBuildErrors(nb *notebook, out string) string {
	return cellRef.ReplaceAllStringFunc(out, func(m string) string {
		sm := cellRef.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sm[1])
		if n < 1 || n > len(nb.cells) {
			return m
		}
		pos := "line " + sm[2]
		if sm[3] != "" {
			pos += ":" + sm[3]
		}
		return nb.label(n-1) + ", " + pos
	})
}

// splitOutput cuts a stream the program wrote into the text of each cell, by the markers.
// pre is what came before the first marker (package initialisation); ended reports whether the
// final marker was reached.
func splitOutput(out, nonce string) (cells map[int]string, pre string, last int, ended bool) {
	re := regexp.MustCompile(regexp.QuoteMeta("\x1eGONB-CELL "+nonce+" ") + `(\d+|end)` + regexp.QuoteMeta("\x1e\n"))
	cells = map[int]string{}
	locs := re.FindAllStringSubmatchIndex(out, -1)
	if len(locs) == 0 {
		return cells, out, 0, false
	}
	pre = out[:locs[0][0]]
	for k, loc := range locs {
		which := out[loc[2]:loc[3]]
		if which == "end" {
			ended = true
			break
		}
		end := len(out)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		n, _ := strconv.Atoi(which)
		cells[n-1] = out[loc[1]:end]
		last = n - 1
	}
	return cells, pre, last, ended
}

// --- running --------------------------------------------------------------------------------

// A run is the outcome of executing one notebook.
type run struct {
	prog    *program
	stdout  map[int]string // what each cell printed, by notebook position
	stderr  map[int]string
	figures map[string][]byte // the files the notebook wrote to figures/, by name
	seconds float64           // how long the program ran
}

// execute assembles, builds and runs the notebook in a scratch directory inside this module
// (so that gorgonet/... imports resolve), which it removes before returning. The program runs in
// a working directory of its own, so the figures it writes to figures/ do not touch the
// committed ones; they come back in run.figures.
func execute(ctx context.Context, nb *notebook) (r *run, err error) {
	nonceBytes := make([]byte, 8)
	_, _ = rand.Read(nonceBytes)
	nonce := hex.EncodeToString(nonceBytes)
	prog, err := assemble(nb, nonce)
	if err != nil {
		return nil, err
	}
	goTool, err := exec.LookPath("go") // go test puts $GOROOT/bin first on the tests' PATH
	if err != nil {
		return nil, fmt.Errorf("the go command is needed to run the notebooks: %w", err)
	}
	dir, err := os.MkdirTemp(".", ".run-"+strings.TrimSuffix(nb.name, ".ipynb")+"-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); err == nil {
			err = rerr
		}
	}()
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog.src), 0o644); err != nil {
		return nil, err
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		return nil, err
	}

	bin := filepath.Join(dir, "notebook")
	build := exec.CommandContext(ctx, goTool, "build", "-buildvcs=false", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s does not compile (%v):\n%s", nb.name, err, explainBuildErrors(nb, string(out)))
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = work
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The notebooks load the bundled MNIST: a Fashion-MNIST directory named by the environment
	// would change every number.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "MNIST_DIR=") })
	start := time.Now()
	runErr := cmd.Run()
	r = &run{prog: prog, figures: map[string][]byte{}, seconds: time.Since(start).Seconds()}

	var pre, preErr string
	var last int
	var ended bool
	r.stdout, pre, last, ended = splitOutput(stdout.String(), nonce)
	r.stderr, preErr, _, _ = splitOutput(stderr.String(), nonce)
	if runErr != nil || !ended {
		why := "it stopped before the last cell"
		if runErr != nil {
			why = runErr.Error()
		}
		if len(r.stdout) == 0 {
			return nil, fmt.Errorf("%s failed before its first cell ran (%s):\n%s%s", nb.name, why, preErr, pre)
		}
		return nil, fmt.Errorf("%s failed at run time in %s (%s)\nits stdout:\n%s\nits stderr:\n%s",
			nb.name, nb.label(last), why, r.stdout[last], r.stderr[last])
	}
	if pre != "" || preErr != "" {
		return nil, fmt.Errorf("%s printed during package initialisation, before any cell; GoNB would print that in every cell:\n%s%s", nb.name, pre, preErr)
	}
	fixes, err := goWorkFixOutput(prog)
	if err != nil {
		return nil, err
	}
	for i, s := range fixes {
		r.stdout[i] = s + r.stdout[i] // GoNB runs a cell's % commands before its Go
	}

	figures := filepath.Join(work, figuresDir)
	entries, err := os.ReadDir(figures)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("%s writes a directory %s/%s: figures/ is for pictures", nb.name, figuresDir, e.Name())
		}
		if r.figures[e.Name()], err = os.ReadFile(filepath.Join(figures, e.Name())); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// modulePath matches the module directive of a go.mod file.
var modulePath = regexp.MustCompile(`(?m)^module\s+"?([^"\s]+)"?\s*$`)

// goWorkFixOutput returns what GoNB prints for the %goworkfix lines of each cell that has them.
// The notebooks' first cell adds this repository to the go.work of GoNB's scratch module
// (go work use "${GONB_DIR}/..") and runs %goworkfix, which adds a replace rule to the scratch
// go.mod for every module of go.work and prints a line for each (ipynb.GoWorkFixAdded, or
// ipynb.GoWorkFixExists from the second %goworkfix of a kernel on). The runner builds inside the
// module instead, so it prints those lines itself, for the one module the notebooks use: this
// repository's, in its directory (notebooks/..; the comparison masks the directory).
func goWorkFixOutput(p *program) (map[int]string, error) {
	out := map[int]string{}
	if len(p.goWorkFix) == 0 {
		return out, nil
	}
	dir, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("%%goworkfix: the module of the notebooks: %w", err)
	}
	m := modulePath.FindSubmatch(goMod)
	if m == nil {
		return nil, fmt.Errorf("%%goworkfix: %s has no module directive", filepath.Join(dir, "go.mod"))
	}
	added := false
	for _, i := range slices.Sorted(maps.Keys(p.goWorkFix)) {
		for range p.goWorkFix[i] {
			if added {
				out[i] += ipynb.GoWorkFixExists(string(m[1]), dir)
			} else {
				out[i] += ipynb.GoWorkFixAdded(string(m[1]), dir)
				added = true
			}
		}
	}
	return out, nil
}

// deadline returns a context that ends a little before the test's deadline.
func deadline(t *testing.T) context.Context {
	timeout := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 15*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// TestNotebooks runs every notebook and checks that each cell still prints what the notebook
// stores and that the figures it writes are the ones committed. With -update it stores the fresh
// outputs and figures instead.
func TestNotebooks(t *testing.T) {
	paths := notebookPaths(t)
	if testing.Short() {
		t.Skip("-short: the notebooks are not run")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(path, ".ipynb"), func(t *testing.T) {
			nb, err := readNotebook(path)
			if err != nil {
				t.Fatal(err)
			}
			r, err := execute(deadline(t), nb)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s ran in %.1fs", nb.name, r.seconds)
			if *update {
				store(t, nb, r)
				return
			}
			compare(t, nb, r)
		})
	}
}

// compare checks the run against the notebook's stored outputs and committed figures.
func compare(t *testing.T, nb *notebook, r *run) {
	t.Helper()
	diffs := cellDiffs(nb, r)
	for _, d := range diffs {
		t.Error(d)
	}
	stale := len(diffs) > 0
	for _, name := range slices.Sorted(maps.Keys(r.figures)) {
		committed := filepath.Join(figuresDir, name)
		newBytes := r.figures[name]
		oldBytes, err := os.ReadFile(committed)
		if err != nil {
			stale = true
			t.Errorf("%s writes %s, which is not committed: %v", nb.name, committed, err)
			continue
		}
		if bytes.Equal(newBytes, oldBytes) {
			continue
		}
		nc, _, err1 := image.DecodeConfig(bytes.NewReader(newBytes))
		oc, _, err2 := image.DecodeConfig(bytes.NewReader(oldBytes))
		if err1 != nil || err2 != nil || nc.Width != oc.Width || nc.Height != oc.Height {
			stale = true
			t.Errorf("%s: the committed %s differs in size from the one the notebook draws now (%dx%d, was %dx%d) %v",
				nb.name, committed, nc.Width, nc.Height, oc.Width, oc.Height, errors.Join(err1, err2))
			continue
		}
		t.Logf("%s: %s has the same size as the committed one but other pixels (fonts or floating point of this machine?)", nb.name, committed)
	}
	if stale {
		t.Log("if the change is intended, store the new outputs: go test ./notebooks -update")
	}
}

// cellDiffs compares what each cell the runner knows (program.checked) printed to stdout with
// the notebook's stored stdout, as ipynb.Mask leaves them, and describes each that differs.
func cellDiffs(nb *notebook, r *run) []string {
	var diffs []string
	for _, i := range r.prog.checked() {
		want, err := nb.storedStream(i, "stdout")
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: outputs: %v", nb.label(i), err))
			continue
		}
		got := r.stdout[i]
		if ipynb.Mask(got) != ipynb.Mask(want) {
			diffs = append(diffs, fmt.Sprintf("%s prints something else than the notebook stores:\n%s", nb.label(i), lineDiff(want, got)))
		}
	}
	return diffs
}

// lineDiff shows where two outputs part: the first differing line and a little context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && ipynb.Mask(w[i]) == ipynb.Mask(g[i]) {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\tfirst difference at output line %d\n", i+1)
	for k := max(0, i-2); k < i; k++ {
		fmt.Fprintf(&b, "\t  %s\n", w[k])
	}
	for k := i; k < min(len(w), i+3); k++ {
		fmt.Fprintf(&b, "\t- %s\n", w[k])
	}
	for k := i; k < min(len(g), i+3); k++ {
		fmt.Fprintf(&b, "\t+ %s\n", g[k])
	}
	return b.String()
}

// store writes the run's outputs into the notebook (stream outputs, execution counts numbered
// through the code cells; ids and every other field kept) and its figures into figures/,
// removing the figures of this notebook (same number prefix) it no longer draws.
func store(t *testing.T, nb *notebook, r *run) {
	t.Helper()
	count := 0
	for i := range nb.cells {
		if nb.cellType(i) != "code" {
			continue
		}
		count++
		nb.cells[i]["execution_count"] = mustJSON(count)
		outputs := []map[string]any{}
		for _, s := range []struct {
			name string
			text string
		}{{"stdout", r.stdout[i]}, {"stderr", r.stderr[i]}} {
			if s.text != "" {
				outputs = append(outputs, map[string]any{"name": s.name, "output_type": "stream", "text": ipynb.SplitLines(s.text)})
			}
		}
		nb.cells[i]["outputs"] = mustJSON(outputs)
	}
	data, err := nb.encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nb.path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := os.MkdirAll(figuresDir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for name, data := range r.figures {
		if err := os.WriteFile(filepath.Join(figuresDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		keep[name] = true
	}
	prefix, _, _ := strings.Cut(nb.name, "-")
	old, _ := filepath.Glob(filepath.Join(figuresDir, prefix+"-*"))
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			t.Logf("%s no longer draws %s: removed", nb.name, f)
			os.Remove(f)
		}
	}
	t.Logf("%s: stored the outputs of %d code cells and %d figures", nb.name, count, len(r.figures))
}

// --- structure ------------------------------------------------------------------------------

var (
	cellIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	imageRef      = regexp.MustCompile(`!\[[^\]]*\]\(([^)\s]+)\)`)
)

// TestNotebookStructure checks that every notebook is valid nbformat 4 (4.5, with cell ids) for
// the GoNB kernel, written the way nbformat writes it, and that the pictures its markdown shows
// exist; and that every committed figure is shown by some notebook.
func TestNotebookStructure(t *testing.T) {
	shown := map[string]bool{}
	for _, path := range notebookPaths(t) {
		t.Run(strings.TrimSuffix(path, ".ipynb"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkCanonical(t, data)
			nb, err := readNotebook(path)
			if err != nil {
				t.Fatal(err)
			}
			checkTop(t, nb)
			ids := map[string]int{}
			count := 0
			for i, c := range nb.cells {
				checkCell(t, nb, i, c, ids)
				if nb.cellType(i) == "code" {
					count++
					var n *int
					if err := json.Unmarshal(c["execution_count"], &n); err == nil && n != nil && *n != count {
						t.Errorf("%s: execution_count %d, want %d (numbered through the code cells)", nb.label(i), *n, count)
					}
				}
				if nb.cellType(i) == "markdown" {
					for _, m := range imageRef.FindAllStringSubmatch(nb.source(i), -1) {
						ref := m[1]
						if strings.Contains(ref, "://") {
							continue
						}
						if _, err := os.Stat(filepath.FromSlash(ref)); err != nil {
							t.Errorf("%s shows %s, which does not exist", nb.label(i), ref)
						}
						shown[filepath.Clean(filepath.FromSlash(ref))] = true
					}
				}
			}
		})
	}
	figures, _ := filepath.Glob(filepath.Join(figuresDir, "*"))
	for _, f := range figures {
		if !shown[f] {
			t.Errorf("%s is shown by no notebook", f)
		}
	}
}

// checkCanonical checks that data is written as nbformat writes notebooks, so that -update
// changes only what changed.
func checkCanonical(t *testing.T, data []byte) {
	t.Helper()
	want, err := ipynb.Canonical(data)
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("not in nbformat's layout (sorted keys, indent 1, final newline); go test ./notebooks -update rewrites it")
	}
}

func checkTop(t *testing.T, nb *notebook) {
	t.Helper()
	var major, minor int
	if err := json.Unmarshal(nb.fields["nbformat"], &major); err != nil || major != 4 {
		t.Errorf("nbformat is %s, want 4", nb.fields["nbformat"])
	}
	if err := json.Unmarshal(nb.fields["nbformat_minor"], &minor); err != nil || minor < 5 {
		t.Errorf("nbformat_minor is %s, want 5 or more (cell ids)", nb.fields["nbformat_minor"])
	}
	for key := range nb.fields {
		if !slices.Contains([]string{"cells", "metadata", "nbformat", "nbformat_minor"}, key) {
			t.Errorf("unexpected top-level field %q", key)
		}
	}
	var meta struct {
		Kernelspec   map[string]string `json:"kernelspec"`
		LanguageInfo map[string]any    `json:"language_info"`
	}
	if err := json.Unmarshal(nb.fields["metadata"], &meta); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	for k, v := range wantKernelspec {
		if meta.Kernelspec[k] != v {
			t.Errorf("metadata.kernelspec.%s is %q, want %q", k, meta.Kernelspec[k], v)
		}
	}
	for k, v := range wantLanguageInfo {
		if meta.LanguageInfo[k] != v {
			t.Errorf("metadata.language_info.%s is %v, want %q", k, meta.LanguageInfo[k], v)
		}
	}
}

func checkCell(t *testing.T, nb *notebook, i int, c map[string]json.RawMessage, ids map[string]int) {
	t.Helper()
	label := nb.label(i)
	typ := nb.cellType(i)
	allowed := map[string][]string{
		"code":     {"cell_type", "execution_count", "id", "metadata", "outputs", "source"},
		"markdown": {"attachments", "cell_type", "id", "metadata", "source"},
		"raw":      {"attachments", "cell_type", "id", "metadata", "source"},
	}[typ]
	if allowed == nil {
		t.Errorf("%s: cell_type %q, want code, markdown or raw", label, typ)
		return
	}
	for key := range c {
		if !slices.Contains(allowed, key) {
			t.Errorf("%s: a %s cell has no field %q", label, typ, key)
		}
	}
	id := nb.str(i, "id")
	switch {
	case !cellIDPattern.MatchString(id):
		t.Errorf("%s: id %q does not match %s", label, id, cellIDPattern)
	case ids[id] > 0:
		t.Errorf("%s: id %q is also the id of cell %d", label, id, ids[id])
	default:
		ids[id] = i + 1
	}
	var meta map[string]any
	if err := json.Unmarshal(c["metadata"], &meta); err != nil || meta == nil {
		t.Errorf("%s: metadata must be an object", label)
	}
	checkLines(t, label+": source", c["source"])
	if typ != "code" {
		return
	}
	if _, ok := c["execution_count"]; !ok {
		t.Errorf("%s: no execution_count", label)
	} else {
		var n *int
		if err := json.Unmarshal(c["execution_count"], &n); err != nil {
			t.Errorf("%s: execution_count must be an integer or null", label)
		}
	}
	var outputs []map[string]json.RawMessage
	if err := json.Unmarshal(c["outputs"], &outputs); err != nil || outputs == nil {
		t.Errorf("%s: outputs must be a list", label)
		return
	}
	for k, o := range outputs {
		var typ, name string
		_ = json.Unmarshal(o["output_type"], &typ)
		switch typ {
		case "stream":
			_ = json.Unmarshal(o["name"], &name)
			if name != "stdout" && name != "stderr" {
				t.Errorf("%s: output %d: stream name %q, want stdout or stderr", label, k, name)
			}
			checkLines(t, fmt.Sprintf("%s: output %d text", label, k), o["text"])
		case "display_data", "execute_result", "error":
		default:
			t.Errorf("%s: output %d: output_type %q", label, k, typ)
		}
	}
}

// checkLines checks an nbformat multi-line string stored as a list of lines: each ends in "\n"
// except the last, and none holds a "\n" elsewhere.
func checkLines(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil || lines == nil {
		t.Errorf("%s must be a list of strings", what)
		return
	}
	for k, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		if strings.Contains(body, "\n") || (k < len(lines)-1 && body == l) {
			t.Errorf("%s: line %d: %q: want one line, ending in \\n unless it is the last", what, k+1, l)
		}
	}
}

// --- the runner itself -----------------------------------------------------------------------

// testNotebook builds an in-memory notebook from cells of the form "code:..." or "markdown:...".
func testNotebook(cells ...string) *notebook {
	nb := &notebook{name: "test.ipynb", fields: map[string]json.RawMessage{}}
	for i, c := range cells {
		typ, src, _ := strings.Cut(c, ":")
		cell := map[string]json.RawMessage{
			"cell_type": mustJSON(typ), "id": mustJSON(fmt.Sprintf("c%d", i+1)),
			"metadata": mustJSON(map[string]any{}), "source": mustJSON(ipynb.SplitLines(src)),
		}
		if typ == "code" {
			cell["outputs"], cell["execution_count"] = mustJSON([]any{}), mustJSON(nil)
		}
		nb.cells = append(nb.cells, cell)
	}
	return nb
}

func TestSplitCell(t *testing.T) {
	c := splitCell("!*go mod tidy && \\\n  go get x\n%goworkfix\nimport \"fmt\"\n\nfunc f() bool {\n\treturn true &&\n!false\n}\n%%\nfmt.Println(f())\n%env X y")
	if !c.hasMain || c.bodyLine != 11 || c.magic != "" || c.goWorkFix != 1 {
		t.Fatalf("hasMain %v, bodyLine %d, magic %q, goWorkFix %d", c.hasMain, c.bodyLine, c.magic, c.goWorkFix)
	}
	// "!false" starts a line of a Go expression here, but GoNB reads it as a shell command too:
	// the rule is GoNB's, so the runner follows it.
	wantDecls := "\n\n\nimport \"fmt\"\n\nfunc f() bool {\n\treturn true &&\n\n}"
	if c.decls != wantDecls {
		t.Errorf("decls %q, want %q", c.decls, wantDecls)
	}
	if c.body != "fmt.Println(f())\n" {
		t.Errorf("body %q", c.body)
	}
	if m := splitCell("%%writefile x.txt\nhello"); m.magic != "%%writefile" || m.hasGo() {
		t.Errorf("cell magic: %+v", m)
	}
	if m := splitCell("!ls\n%goworkfix\n%goworkfix\n%goworkfixes"); m.hasGo() || m.goWorkFix != 2 {
		t.Errorf("a cell of GoNB commands only has no Go, here two %%goworkfix: %+v", m)
	}
	if m := splitCell("//gonb:%%\nx := 1\n_ = x"); !m.hasMain || m.body != "x := 1\n_ = x" {
		t.Errorf("//gonb:%%%%: %+v", m)
	}
}

func TestAssemble(t *testing.T) {
	nb := testNotebook(
		"code:!*go get x\n%goworkfix",
		"code:import (\n\t\"fmt\"\n\tstr \"strings\"\n)\n\nfunc init_a() {}\n\nvar x = 1",
		"markdown:text",
		"code:import \"fmt\"\n\n%%\nfmt.Println(str.ToUpper(\"a\"), x)",
	)
	p, err := assemble(nb, "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "main.go", p.src, 0); err != nil {
		t.Fatalf("the program does not parse: %v\n%s", err, p.src)
	}
	for _, want := range []string{
		"//line cell02:2:2\n\"fmt\"\n", // imports merged, each once, at their place in the cell
		"//line cell02:3:2\nstr \"strings\"\n",
		"//line cell02:1:1\n", // declarations
		"func gonbCell4() {\n//line cell04:4:1\nfmt.Println(str.ToUpper(\"a\"), x)\n}",
		"func init() {\n\tinit_a()\n}",
		"gonbRunCell(\"\\x1eGONB-CELL n 4\\x1e\\n\", gonbCell4)",
	} {
		if !strings.Contains(p.src, want) {
			t.Errorf("the program lacks %q:\n%s", want, p.src)
		}
	}
	if strings.Count(p.src, "\"fmt\"") != 1 {
		t.Errorf("fmt is imported more than once:\n%s", p.src)
	}
	if !slices.Equal(p.cells, []int{1, 3}) {
		t.Errorf("cells with Go: %v, want [1 3]", p.cells)
	}
	if !slices.Equal(p.checked(), []int{0, 1, 3}) || p.goWorkFix[0] != 1 {
		t.Errorf("cells checked: %v, want [0 1 3] (%%goworkfix in cell 1: %v)", p.checked(), p.goWorkFix)
	}
	if _, err := assemble(testNotebook("code:func main() {}"), "n"); err == nil || !strings.Contains(err.Error(), "func main") {
		t.Errorf("a cell declaring func main: %v", err)
	}
	if _, err := assemble(testNotebook("code:var x = 1", "code:func f( {"), "n"); err == nil || !strings.Contains(err.Error(), `cell 2 (id "c2") does not parse`) {
		t.Errorf("a cell that does not parse: %v", err)
	}
}

func TestSplitOutput(t *testing.T) {
	out := "init\n" + marker("n", "2") + "two\n" + marker("n", "5") + "five" + marker("n", "end")
	cells, pre, last, ended := splitOutput(out, "n")
	if pre != "init\n" || cells[1] != "two\n" || cells[4] != "five" || last != 4 || !ended {
		t.Errorf("cells %q, pre %q, last %d, ended %v", cells, pre, last, ended)
	}
	if _, _, last, ended := splitOutput(marker("n", "3")+"boom", "n"); ended || last != 2 {
		t.Errorf("a run that stopped in cell 3: last %d, ended %v", last, ended)
	}
}

// TestCellDiffs checks what the comparison with the stored outputs lets pass: the %goworkfix
// line with the directory of another checkout and other durations, but not an empty
// %goworkfix output (as GoNB always prints its line), another module, or another number.
func TestCellDiffs(t *testing.T) {
	nb := testNotebook(
		"code:!*rm -f go.work && go work init && go work use . \"${GONB_DIR}/..\"\n%goworkfix",
		"code:!echo not known to the runner",
		"code:import \"fmt\"\n\n%%\nfmt.Println(\"took 1.5s, loss 0.25\")",
	)
	p, err := assemble(nb, "n")
	if err != nil {
		t.Fatal(err)
	}
	here, err := goWorkFixOutput(p)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{prog: p, stdout: map[int]string{0: here[0], 2: "took 2.25s, loss 0.25\n"}}
	setStored := func(fix, echo, loss string) {
		for i, text := range []string{fix, echo, loss} {
			outputs := []any{}
			if text != "" {
				outputs = append(outputs, map[string]any{"name": "stdout", "output_type": "stream", "text": ipynb.SplitLines(text)})
			}
			nb.cells[i]["outputs"] = mustJSON(outputs)
		}
	}
	for _, tc := range []struct {
		fix, echo, loss string
		want            []string // the cells that differ, by label
	}{
		{ipynb.GoWorkFixAdded("gorgonet", "/elsewhere/gorgonet"), "not known to the runner\n", "took 1.5s, loss 0.25\n", nil},
		{"", "", "took 1.5s, loss 0.25\n", []string{`cell 1 (id "c1")`}},
		{ipynb.GoWorkFixAdded("gorgonia", "/elsewhere/gorgonet"), "", "took 1.5s, loss 0.25\n", []string{`cell 1 (id "c1")`}},
		{ipynb.GoWorkFixExists("gorgonet", "/elsewhere/gorgonet"), "", "took 1.5s, loss 0.25\n", []string{`cell 1 (id "c1")`}},
		{here[0], "", "took 1.5s, loss 0.26\n", []string{`cell 3 (id "c3")`}},
	} {
		setStored(tc.fix, tc.echo, tc.loss)
		diffs := cellDiffs(nb, r)
		ok := len(diffs) == len(tc.want)
		for k := 0; ok && k < len(diffs); k++ {
			ok = strings.HasPrefix(diffs[k], "test.ipynb "+tc.want[k]+" prints something else")
		}
		if !ok {
			t.Errorf("stored %q, %q, %q: differences\n%s\nwant in %v", tc.fix, tc.echo, tc.loss, strings.Join(diffs, "\n"), tc.want)
		}
	}
}

// TestRunner runs a small notebook through the runner: declarations shared by later cells,
// outputs attributed to their cells, a compile error and a panic reported with their cell.
func TestRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds programs")
	}
	const decls = "code:import (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc shout(s string) string { return strings.ToUpper(s) + \"!\" }"
	nb := testNotebook(
		"markdown:# test",
		"code:!*echo setup\n%goworkfix",
		decls,
		"code:%%\nfmt.Println(shout(\"one\"))",
		"code:import \"fmt\"\n\nvar n = 2\n\n%%\nfmt.Print(shout(\"two\"), n)",
	)
	r, err := execute(deadline(t), nb)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fix := "\t- Added replace rule for module \"gorgonet\" to local directory " + strconv.Quote(root) + ".\n"
	if len(r.stdout) != 3 || r.stdout[1] != fix || r.stdout[3] != "ONE!\n" || r.stdout[4] != "TWO!2" {
		t.Errorf("outputs %q", r.stdout)
	}
	if !slices.Equal(r.prog.cells, []int{2, 3, 4}) {
		t.Errorf("cells with Go: %v", r.prog.cells)
	}

	for _, tc := range []struct {
		cell, want string
	}{
		{"code:%%\nfmt.Println(\"fine\")\nundefinedThing()", `test.ipynb cell 6 (id "c6"), line 3:1: undefined: undefinedThing`},
		{"code:func broken() int {\n\treturn \"x\"\n}", `test.ipynb cell 6 (id "c6"), line 2:9`},
		{"code:%%\nfmt.Println(\"fine\")\nvar m map[string]int\nm[\"x\"] = 1", `failed at run time in test.ipynb cell 6 (id "c6")`},
	} {
		bad := testNotebook("markdown:# test", "code:!*echo setup", decls,
			"code:%%\nfmt.Println(shout(\"one\"))", "code:%%\nfmt.Println(2)", tc.cell)
		_, err := execute(deadline(t), bad)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("the error does not say %q:\n%v", tc.want, err)
		}
	}
}
