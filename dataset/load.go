package dataset

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Spec says which data to load. The zero value loads MNIST as LoadMNIST("") does.
type Spec struct {
	// Name is a known data set (Lookup): "mnist" or "fashion-mnist". The files found must be that
	// data set's, checked by their digests (a *DigestError otherwise). With no Name, whatever the
	// directory holds is loaded, and recognised by its digests if it is a known data set.
	Name string
	// Dir is the directory to read; "" to look in the usual places (see Find).
	Dir string
	// Classes are class names given by the caller (from ParseClassNames); nil to take them from
	// the data (see Data.Classes).
	Classes []string
	// Preparation overrides the data set's preparation; "" keeps it (see Data.Preparation).
	Preparation Preparation
}

// Data is a loaded data set: the training and test sets and what a model trained on them keeps.
type Data struct {
	Train *Set // the training set; nil from LoadTest
	Test  *Set // the test set

	// Source records where the data came from: directory, file digests, sizes, and the known
	// data set the files are, if any.
	Source Source

	// Classes names each class, class 0 first; Train.Classes and Test.Classes are its length.
	// They are, in this order of precedence: Spec.Classes; the lines of the ClassNamesFile in the
	// data's directory; the names of the known data set the files are; "0" to "9".
	Classes []string
	// ClassesFrom says where Classes come from: "given" (Spec.Classes), the path of the names
	// file, the known data set's name ("fashion-mnist", "mnist"), or "numbered".
	ClassesFrom string

	// Preparation is how to prepare a picture for a model trained on this data: Spec.Preparation
	// when given, else that of the known data set the files are (or that Spec.Name names), else
	// PrepDigit.
	Preparation Preparation
}

// Load reads the training and test sets of spec (see Spec and Find for where), with the digests
// of the four files computed while they are read (Source), the class names (Data.Classes) and the
// preparation (Data.Preparation). Every error names the file, directory or list at fault: the IDX
// format (FormatError), images and labels that do not pair up, labels beyond the class names
// (ErrClassNames), files that are not the named data set (*DigestError), a data set that is not
// installed (*NotFoundError), an unknown name (ErrUnknownDataSet).
func Load(spec Spec) (*Data, error) { return load(spec, true, true) }

// LoadTest is Load for the test set alone, for evaluating a saved model: Data.Train is nil and the
// Source records the two test files.
func LoadTest(spec Spec) (*Data, error) { return load(spec, false, true) }

// load loads the test set and, withTrain, the training set. Without digest, the files are not
// hashed, the Source has no digests and nothing is recognised: only BenchmarkLoadMNIST uses it,
// to measure what hashing costs.
func load(spec Spec, withTrain, digest bool) (*Data, error) {
	if spec.Classes != nil {
		if err := checkClassNames(spec.Classes, "name"); err != nil {
			return nil, err
		}
	}
	if spec.Preparation != "" {
		if _, err := ParsePreparation(string(spec.Preparation)); err != nil {
			return nil, err
		}
	}
	dir, bundled, err := Find(spec)
	if err != nil {
		return nil, err
	}
	fileNamesList, namesPath, err := readNamesFile(dir)
	if err != nil {
		return nil, err
	}

	// Read the files concurrently: the training images take most of the time, and the other three
	// are read meanwhile.
	first := 0
	if !withTrain {
		first = 2
	}
	var (
		idx   [4]*IDX
		files [4]FileDigest
		errs  [4]error
		wg    sync.WaitGroup
	)
	for i := first; i < 4; i++ {
		wg.Go(func() {
			p, err := mnistFile(dir, fileNames[i])
			if err != nil {
				errs[i] = err
				return
			}
			idx[i], files[i], errs[i] = readIDXFile(p, digest)
			files[i].Role = roles[i]
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	d := &Data{Source: Source{Dir: absDir(dir), Bundled: bundled, Files: files[first:]}}
	d.Source.Name = recognise(d.Source.Files)
	if spec.Name != "" && d.Source.Name != spec.Name {
		return nil, digestError(spec.Name, dir, d.Source.Files)
	}

	known, isKnown := lookup(d.Source.Name)
	custom := spec.Classes != nil || fileNamesList != nil
	switch {
	case spec.Classes != nil:
		d.Classes, d.ClassesFrom = slices.Clone(spec.Classes), "given"
	case fileNamesList != nil:
		d.Classes, d.ClassesFrom = fileNamesList, namesPath
	case isKnown:
		d.Classes, d.ClassesFrom = slices.Clone(known.Classes), known.Name
	default:
		d.Classes, d.ClassesFrom = NumberedClassNames(MNISTClasses), "numbered"
	}

	// The sets are checked first for what they are (dimensions, counts); with class names from the
	// caller or a file, every label may pass there (MaxClasses), and the labels are then checked
	// against the names, with a message about the names.
	classes := len(d.Classes)
	if custom {
		classes = MaxClasses
	}
	if withTrain {
		if d.Train, err = NewImageSet("train", idx[0], idx[1], classes); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		d.Source.Train = d.Train.Len()
	}
	if d.Test, err = NewImageSet("test", idx[2], idx[3], classes); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	d.Source.Test = d.Test.Len()
	if custom {
		// Every label must have a name and, in the training set, every name a label: a name too
		// many makes a class no sample teaches, and is most likely a line too many.
		what := fmt.Sprintf("%s names %d classes", namesPath, len(d.Classes))
		if spec.Classes != nil {
			what = fmt.Sprintf("%d class names are given", len(d.Classes))
		}
		for _, s := range []*Set{d.Train, d.Test} {
			if s == nil {
				continue
			}
			if err := checkLabelCount(what, d.Classes, s, s == d.Train); err != nil {
				return nil, err
			}
			s.Classes = len(d.Classes)
		}
	}
	if d.Train != nil && (d.Train.Rows != d.Test.Rows || d.Train.Cols != d.Test.Cols) {
		return nil, fmt.Errorf("%s: training images are %dx%d but test images are %dx%d", dir, d.Train.Rows, d.Train.Cols, d.Test.Rows, d.Test.Cols)
	}

	switch {
	case spec.Preparation != "":
		d.Preparation = spec.Preparation
	case isKnown:
		d.Preparation = known.Preparation
	default:
		d.Preparation = PrepDigit
	}
	return d, nil
}

// readNamesFile reads the ClassNamesFile in dir, if there is one: (nil, "", nil) when there is not.
func readNamesFile(dir string) ([]string, string, error) {
	p := filepath.Join(dir, ClassNamesFile)
	f, err := os.Open(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, "", nil
		}
		return nil, "", err
	}
	defer f.Close()
	names, err := ReadClassNames(f)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", p, err)
	}
	return names, p, nil
}

// checkLabelCount checks the labels of s against the class names: every label must have a name
// and, when exact, the labels must use every name. what says where the names come from and how
// many there are, to start the message.
func checkLabelCount(what string, names []string, s *Set, exact bool) error {
	top := 0
	for v := 255; v >= 0; v-- {
		if bytes.IndexByte(s.Labels, byte(v)) >= 0 {
			top = v
			break
		}
	}
	set := "test"
	if exact {
		set = "training"
	}
	if top >= len(names) {
		return classNamesError(fmt.Sprintf("%s (0 to %d), but the %s labels go up to %d", what, len(names)-1, set, top))
	}
	if exact && top+1 < len(names) {
		return classNamesError(fmt.Sprintf("%s, but the training labels only go up to %d (%d classes)", what, top, top+1))
	}
	return nil
}

// classNamesError is an error about class names whose message does not start with "class names":
// it is ErrClassNames for errors.Is all the same.
type classNamesError string

func (e classNamesError) Error() string        { return string(e) }
func (e classNamesError) Is(target error) bool { return target == ErrClassNames }

// digestError returns the *DigestError for the first of files that is not data set want's.
func digestError(want, dir string, files []FileDigest) error {
	k, _ := lookup(want)
	for _, f := range files {
		i := 0
		for roles[i] != f.Role {
			i++
		}
		if f.SHA256 == k.SHA256[i] {
			continue
		}
		is := ""
		for _, o := range knownSets {
			if o.SHA256[i] == f.SHA256 {
				is = o.Name
			}
		}
		return &DigestError{Want: want, Role: f.Role, Path: filepath.Join(dir, f.Name), SHA256: f.SHA256, Is: is}
	}
	return fmt.Errorf("%s: the files are not %s's", dir, k.Title) // not reached: some file differs
}

// Warnings returns one line for each loaded set whose images look stored on another scale than
// 0..255 grey levels (CheckScale), naming its images file; nil when there is nothing to say.
// Training proceeds; the command prints them.
func (d *Data) Warnings() []string {
	var w []string
	for _, c := range []struct {
		s    *Set
		role string
	}{{d.Train, RoleTrainImages}, {d.Test, RoleTestImages}} {
		if c.s == nil {
			continue
		}
		f, _ := d.Source.file(c.role)
		if msg := CheckScale(c.s, filepath.Join(d.Source.Dir, f.Name)); msg != "" {
			w = append(w, msg)
		}
	}
	return w
}
