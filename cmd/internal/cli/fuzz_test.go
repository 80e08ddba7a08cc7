package cli

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// FuzzParseSizes: any --hidden value gives either sizes in [1, MaxLayerSize], one per comma
// separated field, that format and parse back the same, or a UsageError naming the flag.
func FuzzParseSizes(f *testing.F) {
	for _, s := range []string{
		"", " ", "128", "128,64", " 512 , 256,10 ", "128,,64", ",,", ",", "abc", "-1", "0",
		"99999999", "99999999999999999999", "65536", "65537", "1e3", "1.5", "+7", "0x10",
		"1,2,3,4,5,6,7,8,9,10", "\t64\n", "١٢٣", "128;64", "128:64",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sizes, err := ParseSizes("hidden", s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseSizes(%q): error %T %v is not a UsageError", s, err, err)
			}
			if !strings.HasPrefix(err.Error(), "--hidden ") {
				t.Fatalf("ParseSizes(%q): error %q does not name the flag", s, err)
			}
			if sizes != nil {
				t.Fatalf("ParseSizes(%q): sizes %v with the error", s, sizes)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			if len(sizes) != 0 {
				t.Fatalf("ParseSizes(%q) = %v, want none", s, sizes)
			}
			return
		}
		if want := strings.Count(s, ",") + 1; len(sizes) != want {
			t.Fatalf("ParseSizes(%q) = %v: %d sizes for %d fields", s, sizes, len(sizes), want)
		}
		parts := make([]string, len(sizes))
		for i, v := range sizes {
			if v < 1 || v > MaxLayerSize {
				t.Fatalf("ParseSizes(%q) accepted size %d", s, v)
			}
			parts[i] = strconv.Itoa(v)
		}
		again, err := ParseSizes("hidden", strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, sizes) {
			t.Fatalf("ParseSizes(%q) = %v, but its formatting parses to %v, %v", s, sizes, again, err)
		}
	})
}

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
