package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ClassNamesFile is the name of the file, beside the IDX files of a data set, that names its
// classes: plain UTF-8 text, one name per line, line 1 naming class 0, line 2 class 1 and so on.
// Spaces around a name, a byte-order mark and Windows line ends are ignored, as are empty lines
// at the end; an empty line before the last name is an error, since it would shift every class
// after it. For example, for three classes:
//
//	cat
//	dog
//	horse
const ClassNamesFile = "classes.txt"

// Limits on class names: labels are bytes, so at most 256 classes; a name longer than
// MaxClassNameLen characters would not fit in reports and pictures.
const (
	MaxClasses      = 256
	MaxClassNameLen = 64
)

// ErrClassNames is wrapped by every error about class names: a list or file that names too few or
// too many classes, an empty, duplicate or unprintable name, or a count that does not match the
// labels of the data.
var ErrClassNames = errors.New("class names")

// ParseClassNames parses class names given as one comma-separated list, as a --classes flag gives
// them ("cat,dog,horse"): name i names class i. Spaces around each name are dropped. The names
// are checked as ClassNamesFile's are; errors wrap ErrClassNames and count names from 1.
func ParseClassNames(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("%w: none given", ErrClassNames)
	}
	names := strings.Split(list, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if err := checkClassNames(names, "name"); err != nil {
		return nil, err
	}
	return names, nil
}

// ReadClassNames reads class names in the format of ClassNamesFile from r. Errors wrap
// ErrClassNames and give line numbers; Load adds the file's path.
func ReadClassNames(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 4096) // a longer line is no class name
	var names []string
	for sc.Scan() {
		line := sc.Bytes()
		if len(names) == 0 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		names = append(names, strings.TrimSpace(string(line)))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrClassNames, len(names)+1, 4096)
		}
		return nil, err
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: the file names no class", ErrClassNames)
	}
	if err := checkClassNames(names, "line"); err != nil {
		return nil, err
	}
	return names, nil
}

// checkClassNames checks the number of names and each name; what is "name" or "line", the word
// for the position of a name in messages (counted from 1).
func checkClassNames(names []string, what string) error {
	if len(names) < 2 {
		return fmt.Errorf("%w: %d given, a classifier needs at least 2", ErrClassNames, len(names))
	}
	if len(names) > MaxClasses {
		return fmt.Errorf("%w: %d given, at most %d are possible (labels are bytes)", ErrClassNames, len(names), MaxClasses)
	}
	first := make(map[string]int, len(names))
	for i, n := range names {
		switch {
		case n == "":
			return fmt.Errorf("%w: %s %d is empty", ErrClassNames, what, i+1)
		case !utf8.ValidString(n):
			return fmt.Errorf("%w: %s %d is not UTF-8 text", ErrClassNames, what, i+1)
		case strings.IndexFunc(n, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0:
			return fmt.Errorf("%w: %s %d (%s) holds a control or unprintable character", ErrClassNames, what, i+1, strconv.Quote(n))
		case utf8.RuneCountInString(n) > MaxClassNameLen:
			return fmt.Errorf("%w: %s %d is longer than %d characters", ErrClassNames, what, i+1, MaxClassNameLen)
		}
		if j, dup := first[n]; dup {
			return fmt.Errorf("%w: %q is given twice (%ss %d and %d)", ErrClassNames, n, what, j+1, i+1)
		}
		first[n] = i
	}
	return nil
}

// NumberedClassNames returns "0", "1", ... up to n-1: the names of MNIST's digits, and of the
// classes of any data set that names none.
func NumberedClassNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}
