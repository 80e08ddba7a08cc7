// Package train fits a model.Network on a dataset.Set with Gorgonia's solvers, and measures it.
//
// One batch, from the file to the report: dataset.Order picks the epoch's sample order from the
// seed; the batch's rows are shared out to Config.Replicas training graphs (two by default) that
// share the weights; in each, the replica draws its rows of the dropout masks (masks.go),
// dataset.Fill converts its rows' uint8 pixels into the graph's preallocated input and target
// tensors and the TapeMachine runs the forward pass and the symbolic backward pass, the replicas
// at once; the solver (sgd, momentum, adam or rmsprop: Gorgonia's own, one per core, each over a
// share of every weight tensor: solver.go) combines the replicas' gradients by their shares of the
// batch (replicas.go) and applies them to the weight tensors in place, its element-wise
// operations on SIMD kernels (engine.go); model.Rewind readies the machines for the next batch. Every
// sample is used in every epoch: the last, smaller batch runs through training graphs of its size
// that share the weights and the solver. After each epoch an Evaluator runs the validation set through an
// inference graph that shares the weights, and the epoch's numbers go into the History (with its
// wall time and the process's user CPU time, whose ratio is the cores it kept busy). All of it
// is Trainer.Fit, readable on one screen.
//
// Around it:
//
//   - Recipe names and defaults every setting of a run in one place (the model, the training
//     hyperparameters, the validation split), for a program to offer as flags, sweep over, and
//     keep in checkpoints; Config and model.Config validate them.
//   - Checkpoint, Checkpointer and Resume keep a run (network, solver state, history, the
//     caller's metadata) in a model file after every epoch and continue it bit for bit.
//   - Run is a Recipe's run as a program makes one: new or resumed from a checkpoint file,
//     checkpointed every epoch, saved at the end, and, stopped by a signal, keeping its last
//     epoch and saying how to go on (InterruptedError). CheckOutput refuses an output path
//     before any work.
//   - Evaluator, Result, Report and Confusion measure a network: accuracy, loss, per-class
//     precision, recall and F1 like scikit-learn's classification_report; Evaluator.Predict gives
//     model.Predict's answer for every sample.
//   - Schedule changes the learning rate by epoch; Patience stops early, keeping the best weights.
//   - Progress and SignalContext are what a program needs around Fit: a progress bar on a
//     terminal, and a stop between batches on Ctrl-C.
//
// Subpackages: plot draws the pictures of a run, sweep runs hyperparameter sweeps.
package train
