package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"gorgonet/dataset"
	"gorgonet/model"
	"gorgonet/train"
)

// A 2-4-1 MLP learns XOR with full-batch Adam; the evaluator then predicts every sample.
func ExampleTrainer_Fit() {
	cfg := model.MLP(2, []int{4}, 1) // one sigmoid output: binary cross-entropy
	cfg.Activation = "tanh"
	net, err := model.New(cfg, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		panic(err)
	}
	trainer, err := train.NewTrainer(net, train.Config{Optimizer: "adam", LearnRate: 0.1, Epochs: 300, BatchSize: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	xor := dataset.XOR()
	if err := trainer.Fit(context.Background(), xor, nil); err != nil {
		panic(err)
	}
	result, err := trainer.Eval.Evaluate(xor)
	if err != nil {
		panic(err)
	}
	fmt.Println("predicted:", result.Predicted)
	fmt.Println("accuracy:", result.Accuracy)
	// Output:
	// predicted: [0 1 1 0]
	// accuracy: 1
}

// The report of a confusion matrix, in scikit-learn's classification_report layout.
func ExampleNewReport() {
	c := train.NewConfusion(2)
	for _, tp := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 0}} {
		c.Add(tp[0], tp[1])
	}
	_ = train.NewReport(c).Write(os.Stdout)
	// Output:
	//                precision     recall   f1-score    support
	//
	//            0     0.6667     0.6667     0.6667          3
	//            1     0.7500     0.7500     0.7500          4
	//
	//     accuracy                           0.7143          7
	//    macro avg     0.7083     0.7083     0.7083          7
	// weighted avg     0.7143     0.7143     0.7143          7
}
