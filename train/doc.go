// Package train fits a model.Network on a dataset.Set with Gorgonia's solvers, and measures it.
//
// One batch, from the file to the report: dataset.Order picks the epoch's sample order from the
// seed; dataset.Fill converts the batch's uint8 pixels into the training graph's preallocated input
// and target tensors; the TapeMachine runs the forward pass and the symbolic backward pass;
// the solver (sgd, momentum, adam or rmsprop: Gorgonia's own) applies the gradients to the weight
// tensors in place; Reset readies the machine for the next batch. After each epoch an Evaluator
// runs the validation set through an inference graph that shares the weights, and the epoch's
// numbers go into the History. All of it is Trainer.Fit, readable on one screen.
//
// Metrics (accuracy, confusion matrix, a per-class report like scikit-learn's
// classification_report) are computed from an Evaluator's Result.
package train
