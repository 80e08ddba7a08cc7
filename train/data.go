package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"gorgonet/dataset"
	"gorgonet/model"
)

// DataSpec returns the data the recipe trains on, as dataset.Load takes it: the known data set
// Dataset, the directory DataDir, the class names of ClassNames. Class names that do not parse
// are a *SettingError.
func (r Recipe) DataSpec() (dataset.Spec, error) {
	spec := dataset.Spec{Name: r.Dataset, Dir: r.DataDir}
	if r.ClassNames != "" {
		names, err := dataset.ParseClassNames(r.ClassNames)
		if err != nil {
			return spec, settingErr("classes", strconv.Quote(r.ClassNames), "%v", err)
		}
		spec.Classes = names
	}
	return spec, nil
}

// FindData checks, before any work, that the recipe's data can be found (dataset.Find): what a
// setting can fix (an unknown data set, a directory without the files) is a *SettingError, a
// data set that is not installed a *dataset.NotFoundError saying where it looked and how to
// install it.
func (r Recipe) FindData() error {
	spec, err := r.DataSpec()
	if err != nil {
		return err
	}
	if _, _, err := dataset.Find(spec); err != nil {
		if r.DataDir != "" && !errors.As(err, new(*dataset.NotFoundError)) {
			return settingErr("data", "", ": %v", err) // the directory, or a file of it, is missing
		}
		return r.dataErr(err)
	}
	return nil
}

// LoadData loads the recipe's data: the training and test sets, or the test set alone, with their
// source, class names and preparation (dataset.Load, dataset.LoadTest). Errors a setting can fix
// are *SettingErrors, as FindData's.
func (r Recipe) LoadData(testOnly bool) (*dataset.Data, error) {
	spec, err := r.DataSpec()
	if err != nil {
		return nil, err
	}
	load := dataset.Load
	if testOnly {
		load = dataset.LoadTest
	}
	d, err := load(spec)
	if err != nil {
		return nil, r.dataErr(err)
	}
	return d, nil
}

// dataErr turns the errors of dataset.Find and Load that a setting can fix into *SettingErrors:
// an unknown data set, files that are not the named data set, class names given that do not fit.
// Other errors (a file's content, a data set not installed) are runtime errors naming the file.
func (r Recipe) dataErr(err error) error {
	switch {
	case errors.Is(err, dataset.ErrUnknownDataSet):
		return settingErr("dataset", strconv.Quote(r.Dataset), "%v", err)
	case errors.As(err, new(*dataset.DigestError)):
		return settingErr("dataset", r.Dataset, "%v", err)
	case errors.Is(err, dataset.ErrClassNames) && r.ClassNames != "":
		return settingErr("classes", strconv.Quote(r.ClassNames), "%v", err)
	}
	return err
}

// Metadata keys of what a model file or a checkpoint records of the data its network was trained
// on (DataMeta).
const (
	MetaData        = "data"        // the source in one line, for people: dataset.Source.String
	MetaSource      = "data.source" // the source with every file's SHA-256, as JSON
	MetaClassNames  = "class_names" // the class names, as a JSON array
	MetaPreparation = "preparation" // how to prepare a picture for the network: dataset.Preparation
)

// DataMeta returns the metadata of a model trained on d (see MetaData and the keys after it).
func DataMeta(d *dataset.Data) map[string]string {
	src, _ := json.Marshal(d.Source)      // plain strings and ints: cannot fail
	classes, _ := json.Marshal(d.Classes) // strings
	return map[string]string{MetaData: d.Source.String(), MetaSource: string(src),
		MetaClassNames: string(classes), MetaPreparation: string(d.Preparation)}
}

// TrainedOn returns what a saved model's metadata records of the data it was trained on: the
// source (zero when not recorded), the class names (nil when not recorded: then classes are
// numbered, as for MNIST) and the preparation of pictures ("" means digits).
func TrainedOn(saved model.Saved) (src dataset.Source, classes []string, prep dataset.Preparation) {
	_ = json.Unmarshal([]byte(saved.Meta[MetaSource]), &src)
	_ = json.Unmarshal([]byte(saved.Meta[MetaClassNames]), &classes)
	if saved.Net != nil && len(classes) != max(saved.Net.Outputs, 2) {
		classes = nil // names that do not fit the network are not its
	}
	return src, classes, dataset.Preparation(saved.Meta[MetaPreparation])
}

// ClassNames returns the class names of a saved model (TrainedOn), or "0", "1", ... when it
// records none.
func ClassNames(saved model.Saved) []string {
	if _, names, _ := TrainedOn(saved); names != nil {
		return names
	}
	n := 2
	if saved.Net != nil {
		n = max(saved.Net.Outputs, 2)
	}
	return dataset.NumberedClassNames(n)
}

// TestDataFor loads the test set to evaluate a saved model on: the recipe's data when a data
// setting was given (given), else the data the model records (its known data set, or its
// directory), else MNIST. The warning is one line, non-empty when the test set is not the one
// the model was tested on after training, so that its accuracy then and now are not comparable.
func TestDataFor(saved model.Saved, r Recipe, given bool) (*dataset.Data, string, error) {
	src, _, _ := TrainedOn(saved)
	if !given && !src.IsZero() {
		if src.Name != "" {
			r.Dataset = src.Name
		} else {
			r.DataDir = src.Dir
		}
	}
	d, err := r.LoadData(true)
	if err != nil {
		return nil, "", err
	}
	warning := ""
	if !src.IsZero() && !src.SameTest(d.Source) {
		warning = fmt.Sprintf("warning: the model was tested on %s after training; these are other test files (%s), so its accuracy then and now are not comparable",
			src, d.Source)
	}
	return d, warning, nil
}
