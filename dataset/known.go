package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Known describes a data set this package knows by name: where it is looked for, how to install
// it, how to recognise its files, its class names and how pictures are prepared for it.
type Known struct {
	Name  string // what Spec.Name and a --dataset flag take: "mnist", "fashion-mnist"
	Title string // how people write it: "MNIST", "Fashion-MNIST"
	// Env is the environment variable that may name its directory; when it is set, the directory
	// it names is the only place looked in.
	Env string
	// Dirs are the usual directories, looked in after Env, in order.
	Dirs []string
	// Bundled is set for MNIST, which is also looked for in the GoMNIST module (BundledDir), last.
	Bundled bool
	// Install says how to get the data set, for the error when it is not found.
	Install string
	// Classes are its class names, class 0 first.
	Classes []string
	// Preparation is how to prepare a picture for a model trained on it.
	Preparation Preparation
	// SHA256 are the content digests (FileDigest.SHA256) of its four files, in the order train
	// images, train labels, test images, test labels.
	SHA256 [4]string
}

// The data sets this package knows.
//
// MNIST's digests are those of the files in the GoMNIST module, whose gzip files are LeCun's:
// their MD5 digests are the ones published with the data.
//
// Fashion-MNIST's class names are those of Zalando's README (the "Labels" table; Debian installs
// it as /usr/share/doc/dataset-fashion-mnist/README.md.gz). Its digests are those of the content of
// Zalando's files (github.com/zalandoresearch/fashion-mnist, data/fashion, commit b2617bb); Debian's
// package dataset-fashion-mnist 0.0~git20200523.55506a9-1 holds the same contents, checked with
// sha256sum: its gzip files carry the same deflate streams behind headers normalised by the
// build (no file name, the date of the upload), so the digests of the .gz files differ (Zalando's
// are 3aede38d…, a04f1713…, 346e55b9…, 67da17c7…; Debian's b0564c3e…, 0ae29f65…, cc1d090a…,
// 8d3605d1…), and rebuilding Zalando's headers in front of Debian's streams gives back the MD5
// digests published in Zalando's README.
var knownSets = []Known{
	{
		Name: "mnist", Title: "MNIST",
		Env: MNISTDirEnv, Bundled: true,
		Install:     "Run `go mod download " + bundledModule + "` in this module to fetch the bundled copy",
		Classes:     NumberedClassNames(MNISTClasses),
		Preparation: PrepDigit,
		SHA256: [4]string{
			"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
			"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
			"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
			"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
		},
	},
	{
		Name: "fashion-mnist", Title: "Fashion-MNIST",
		Env:  FashionMNISTDirEnv,
		Dirs: []string{FashionMNISTDebianDir},
		Install: "Install it with `apt-get install dataset-fashion-mnist` (Debian, Ubuntu), or set $" + FashionMNISTDirEnv +
			" to a directory holding the four files of github.com/zalandoresearch/fashion-mnist",
		Classes:     []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		Preparation: PrepFashion,
		SHA256: [4]string{
			"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
			"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
			"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
			"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
		},
	},
}

// Where Fashion-MNIST is looked for: the environment variable, then the folder of Debian's
// package dataset-fashion-mnist.
const (
	FashionMNISTDirEnv    = "FASHION_MNIST_DIR"
	FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"
)

// ErrUnknownDataSet is wrapped by the error of Lookup (and Load) for a name it does not know.
var ErrUnknownDataSet = errors.New("unknown data set")

// KnownNames returns the names of the known data sets, for a flag's help and its check.
func KnownNames() []string {
	names := make([]string, len(knownSets))
	for i, k := range knownSets {
		names[i] = k.Name
	}
	return names
}

// Lookup returns the known data set called name. The error for any other name lists the known
// ones and wraps ErrUnknownDataSet.
func Lookup(name string) (Known, error) {
	k, ok := lookup(name)
	if !ok {
		return Known{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownDataSet, name, strings.Join(KnownNames(), ", "))
	}
	k.Dirs = slices.Clone(k.Dirs)
	k.Classes = slices.Clone(k.Classes)
	return k, nil
}

func lookup(name string) (Known, bool) {
	for _, k := range knownSets {
		if k.Name == name {
			return k, true
		}
	}
	return Known{}, false
}

// recognise returns the name of the known data set every file of which has the content digest of
// that data set's file of the same role, or "" when there is none.
func recognise(files []FileDigest) string {
	if len(files) == 0 {
		return ""
	}
	for _, k := range knownSets {
		match := true
		for _, f := range files {
			if i := slices.Index(roles[:], f.Role); i < 0 || k.SHA256[i] != f.SHA256 {
				match = false
				break
			}
		}
		if match {
			return k.Name
		}
	}
	return ""
}

// roles are the roles of the four files, in the order of Known.SHA256 and of fileNames.
var roles = [4]string{RoleTrainImages, RoleTrainLabels, RoleTestImages, RoleTestLabels}

// fileNames are the names of the four files, in the order of roles.
var fileNames = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// NotFoundError reports that a data set was not found in any of the places it is looked for.
type NotFoundError struct {
	Title   string   // the data set ("MNIST", "Fashion-MNIST")
	Looked  []string // each place looked in, with why it would not do
	Install string   // how to get it
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s not found; looked in %s. %s, or pass a directory holding %s, %s, %s and %s",
		e.Title, strings.Join(e.Looked, ", "), e.Install, TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile)
}

// DigestError reports that a file read for a named data set is not that data set's: its content
// differs from the known one.
type DigestError struct {
	Want   string // the data set asked for ("fashion-mnist")
	Role   string // the file's role (RoleTrainImages, ...)
	Path   string // the file
	SHA256 string // the digest of its content
	Is     string // the known data set whose file of that role it is, or ""
}

func (e *DigestError) Error() string {
	want, _ := lookup(e.Want)
	what := "other data"
	if k, ok := lookup(e.Is); ok {
		what = k.Title + "'s " + e.Role
	}
	return fmt.Sprintf("%s is not %s's %s: its content has SHA-256 %s (%s)", e.Path, want.Title, e.Role, e.SHA256, what)
}

// Find returns the directory Load would read for spec, and whether it is the bundled MNIST (by
// its place in a module cache, however it was reached):
//
//   - with spec.Dir, that directory (no other place is looked in);
//   - with a known spec.Name, the directory its Env names when that is set, else the first of its
//     Dirs holding the files, else (MNIST) the bundled copy; a *NotFoundError when none does;
//   - with neither, as FindMNIST: $MNIST_DIR when set, else the bundled MNIST.
//
// A directory must hold the four files (each gzip-compressed with the .gz suffix, or raw without
// it); the error for one that does not names it and the first file missing.
func Find(spec Spec) (dir string, bundled bool, err error) {
	k := knownSets[0] // MNIST, when no name is given
	if spec.Name != "" {
		if k, err = Lookup(spec.Name); err != nil {
			return "", false, err
		}
	}
	if spec.Dir != "" {
		if err := hasMNISTFiles(spec.Dir); err != nil {
			return "", false, err
		}
		return spec.Dir, isBundledDir(spec.Dir), nil
	}
	if env := os.Getenv(k.Env); env != "" {
		if err := hasMNISTFiles(env); err != nil {
			return "", false, fmt.Errorf("$%s: %w", k.Env, err)
		}
		return env, isBundledDir(env), nil
	}
	looked := []string{"$" + k.Env + " (not set)"}
	for _, d := range k.Dirs {
		if err := hasMNISTFiles(d); err != nil {
			looked = append(looked, d+" ("+whyNot(d)+")")
			continue
		}
		return d, false, nil
	}
	if k.Bundled {
		d, cands := findBundled()
		if d != "" {
			return d, true, nil
		}
		looked = append(looked, cands...)
	}
	return "", false, &NotFoundError{Title: k.Title, Looked: looked, Install: k.Install}
}

// isBundledDir reports whether dir is the data folder of the GoMNIST module this program was
// built with, in whichever module cache.
func isBundledDir(dir string) bool {
	rel := filepath.Join(escapeModulePath(bundledModule)+"@"+bundledModuleVersion(), "data")
	return strings.HasSuffix(filepath.Clean(absDir(dir)), string(filepath.Separator)+rel)
}

// whyNot says in a few words why dir does not hold a data set.
func whyNot(dir string) string {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "does not exist"
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return "not a directory"
	}
	for _, name := range fileNames {
		if _, err := mnistFile(dir, name); err != nil {
			return "no " + name
		}
	}
	return "unreadable"
}

// absDir returns dir as an absolute path, or dir itself if that fails.
func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}
