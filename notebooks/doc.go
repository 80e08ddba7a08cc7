// Package notebooks holds the project's Jupyter notebooks and the test that runs them headless.
//
// The notebooks walk through the tutorial with the project's own packages, from one neuron to
// a regularised MLP on MNIST:
//
//	01-neuron-and-xor.ipynb   a neuron's weighted sum and activation by hand; the perceptron
//	                          failing on XOR and a 2-4-1 MLP learning it; both decision
//	                          boundaries; a Gorgonia gradient checked by finite differences
//	02-mnist-mlp.ipynb        MNIST: digits, a 784-128-10 MLP, learning curves, the confusion
//	                          matrix, the classification report, mistakes and weights
//	03-regularisation.ipynb   overfitting on 2,000 digits: no regularisation, L2 and dropout
//	                          compared by their train/validation gap
//
// They are written for GoNB (https://github.com/janpfeifer/gonb), a Go kernel for Jupyter, and
// follow its conventions: a cell of declarations (import, func, type, var, const) is remembered
// for the cells after it, and a cell starting with %% is the body of main() and runs. Lines
// starting with ! (shell) or % (special commands) are GoNB's, not Go. Each notebook's first code
// cell points GoNB's scratch module at this repository:
//
//	!*rm -f go.work && go work init && go work use . "${GONB_DIR}/.."
//	%goworkfix
//
// GoNB runs every cell as a new program, so what several cells need is computed by a function
// declared once, on first use; training is seeded, so every cell sees the same numbers.
// Figures are written to figures/ (relative to the notebook) and shown by markdown cells.
//
// The test (go test ./notebooks) builds each notebook into one program, the way GoNB would
// assemble it: the declaration cells at top level (their imports merged into one block), every
// %% cell a function, called in notebook order by main, with a marker printed to stdout and
// stderr before each cell so that every line of output can be attributed to its cell. GoNB's !
// and % lines are skipped, except %goworkfix, for which the runner prints the line GoNB prints
// (ipynb.GoWorkFixAdded: the replace rule for this repository's module, in its directory).
// //line directives keep compiler messages pointing at the cell and its line. The program is
// built in a scratch directory inside this module (notebooks/.run-*, removed afterwards), so that
// gorgonet/... imports resolve, and runs in a working directory of its own, with MNIST_DIR unset
// so that the bundled MNIST is used. The test fails when a cell does not compile or fails at run
// time, when a cell no longer prints the stdout stored in the notebook (ipynb.Mask masks printed
// durations and the directory of the %goworkfix line), when the notebook writes a figure that is
// not in figures/ or differs from it in size, or when a markdown cell shows a picture that does
// not exist. With -update it re-runs the notebooks and stores their fresh outputs (stdout and
// stderr streams, execution counts numbered through the code cells, ids and other fields kept)
// and figures:
//
//	go test ./notebooks -update
//
// Differences from GoNB: the runner runs all cells in one process, so a value a %% cell stores
// in a global is still there in later cells (under GoNB it is not: the notebooks keep state in
// functions that compute on first use, as above); a cell may not declare func main itself; and
// what ! commands print is not known to it (a cell of only GoNB commands other than %goworkfix
// is not compared). With -short the notebooks are only checked for structure, not run.
//
// notebooks/run-jupyter runs the notebooks under the real kernel, GoNB v0.10.6 with Debian's
// Jupyter nbconvert, and checks more strictly: stdout and stderr of every code cell, other
// outputs, execution counts, and every figure byte for byte (notebooks/internal/cmd/nbcompare
// says what it lets vary). Their -update writes the same files (the kernel may order a cell's
// stdout and stderr outputs otherwise, when a cell writes both).
//
// The stored outputs are exact to the last printed digit, which holds on any number of cores
// (the split matrix products give the same sums) but may not on another CPU architecture: the
// XOR perceptron's outputs in particular sit at 0.5 to within rounding. Re-run with -update there.
package notebooks
