// Package sweep runs hyperparameter sweeps: it trains one model per combination of settings,
// scores each on its validation set (never the test set), ranks them, and keeps a CSV of the
// finished trials that an interrupted sweep resumes from.
//
// A sweep is a Space (each swept setting's name and its values, as text: the caller parses them),
// the combinations to train (Space.Grid for all of them, Space.Sample for a seeded random choice),
// and a TrainFunc that trains one combination and returns its training History and network. Run
// calls it for every combination not already done, scores each History by its best validation
// accuracy (Score), ranks the trials (Rank: higher accuracy first, then less time), rewrites the
// CSV after every trial, and returns the ranking with the best network trained.
//
// The mnist command's 'sweep' is a thin layer over this package: its flags make the Space, each
// combination becomes the flags of one 'mnist train' run, and the best becomes a ready-to-run
// command line.
package sweep
