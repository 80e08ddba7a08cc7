// Package plot draws the pictures of a training run as PNG images: learning curves, the confusion
// matrix, the most confident mistakes, the weights as images, and the decision boundary of a 2-D
// problem such as XOR.
//
// Every function writes one PNG to an io.Writer and returns an error, never panics, and returns a
// clear error for empty or inconsistent input, before writing anything:
//
//	Curves          loss and accuracy per epoch, training and validation     (train.History)
//	ConfusionMatrix a K x K heat map with the count in each cell              (train.Confusion)
//	Mistakes        the misclassified images, most confident first           (dataset.Set, train.Result)
//	Weights         weight vectors as blue-white-red images                  (WeightTemplates picks them)
//	Boundary        P(class 1) over the plane with the 0.5 contour and points (one panel per model)
//
// Curves and Boundary are drawn with gonum.org/v1/plot; the grids of cells (confusion matrix,
// mistakes, weights) are drawn pixel by pixel with image/draw, their text in the Liberation Sans
// faces gonum/plot brings, so that their geometry is exact and testable (NewConfusionLayout gives
// the cell of every count).
//
// Writing to a file is the caller's business, for example:
//
//	f, err := os.Create("curves.png")
//	...
//	err = plot.Curves(f, trainer.History)
//	if cerr := f.Close(); err == nil {
//		err = cerr
//	}
package plot
