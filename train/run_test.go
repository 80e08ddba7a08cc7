package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// CheckOutput and CheckOutputDir refuse what cannot be written as a *SettingError naming the
// setting and the path, make missing directories, and take "" as no output.
func TestCheckOutput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		check         func(setting, path string) error
		path, message string // message "": no error
	}{
		{CheckOutput, "", ""},
		{CheckOutput, filepath.Join(tmp, "new", "deeper", "m.model"), ""},
		{CheckOutput, tmp, fmt.Sprintf("--out %s: is a directory, not a file", tmp)},
		{CheckOutput, filepath.Join(file, "m.model"), fmt.Sprintf("--out %s: %s is not a directory", filepath.Join(file, "m.model"), file)},
		{CheckOutputDir, "", ""},
		{CheckOutputDir, filepath.Join(tmp, "plots", "run1"), ""},
		{CheckOutputDir, filepath.Join(file, "plots"), fmt.Sprintf("--out %s: %s is not a directory", filepath.Join(file, "plots"), file)},
	} {
		err := c.check("out", c.path)
		if c.message == "" {
			if err != nil {
				t.Errorf("%q: %v", c.path, err)
			}
			continue
		}
		var se *SettingError
		if !errors.As(err, &se) || se.Setting != "out" || err.Error() != c.message {
			t.Errorf("%q: error %v (%T), want the *SettingError %q", c.path, err, err, c.message)
		}
	}
	if st, err := os.Stat(filepath.Join(tmp, "plots", "run1")); err != nil || !st.IsDir() {
		t.Errorf("CheckOutputDir did not make the directory: %v", err)
	}
	if st, err := os.Stat(filepath.Join(tmp, "new", "deeper")); err != nil || !st.IsDir() {
		t.Errorf("CheckOutput did not make the file's directory: %v", err)
	}
}

// An InterruptedError is ErrInterrupted to errors.Is, wrapped or not, and prints its message.
func TestInterruptedError(t *testing.T) {
	err := fmt.Errorf("train: %w", &InterruptedError{Signal: syscall.SIGTERM, Msg: "stopped; nothing kept"})
	var ie *InterruptedError
	if !errors.Is(err, ErrInterrupted) || !errors.As(err, &ie) || ie.Signal != syscall.SIGTERM {
		t.Errorf("%v: not an *InterruptedError of SIGTERM wrapping ErrInterrupted", err)
	}
	if err.Error() != "train: stopped; nothing kept" {
		t.Errorf("Error() = %q", err.Error())
	}
}
