package cli

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// FuzzParseFlags: any command line (arguments separated by NUL bytes) parses or gives a
// UsageError (or ErrHelp for --help), never a panic, for the kinds of flag the programs have.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{
		"--lr\x000.1", "--lr=abc", "--epochs\x0099999999999999999999", "--seed=-1", "--hidden=128,,64",
		"-h", "--help", "--quiet=maybe", "--", "-", "---lr", "--=1", "-x", "--lr", "extra\x00--lr=1",
		"--epochs=1e300", "--lr=NaN", "--lr=-Inf", "--seed\x00", "--quiet\x00--quiet",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		fs := pflag.NewFlagSet("fuzz", pflag.ContinueOnError)
		fs.Float64("lr", 0.1, "")
		fs.Int("epochs", 10, "")
		fs.Uint64("seed", 1, "")
		fs.String("hidden", "256", "")
		fs.Bool("quiet", false, "")
		var args []string
		if line != "" {
			args = strings.Split(line, "\x00")
		}
		err := ParseCommand(fs, args, io.Discard, "fuzz", true)
		if err == nil || errors.Is(err, pflag.ErrHelp) {
			return
		}
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("%q: error %T %v is not a UsageError", args, err, err)
		}
	})
}
