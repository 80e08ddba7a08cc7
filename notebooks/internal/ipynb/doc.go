// Package ipynb holds what the notebooks test (go test ./notebooks) and the real-kernel check
// (notebooks/run-jupyter, through notebooks/internal/cmd/nbcompare) must agree on about Jupyter
// notebooks (nbformat 4): the file layout nbformat writes, the multi-line strings it stores, the
// line GoNB's %goworkfix prints, and what in a cell's output legitimately varies from one run to
// the next.
//
// Mask is that last rule. Two outputs are the same when their masked texts are equal; everything
// else in them (every digit, space and line) must match. It masks:
//
//   - printed durations (Go's time.Duration format, "1.5s", "12ms"): wall-clock time varies;
//   - the directory in GoNB's %goworkfix lines: it is where the repository is checked out.
package ipynb
