package train_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

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

// The truth table of the xor command's MLP (XORRecipe), trained with one sigmoid output.
func ExampleEvaluator_WriteTruthTable() {
	r := train.XORRecipe()
	trainer, err := r.NewTrainer(2, 1)
	if err != nil {
		panic(err)
	}
	xor := dataset.XOR()
	if err := trainer.Fit(context.Background(), xor, nil); err != nil {
		panic(err)
	}
	if err := trainer.Eval.WriteTruthTable(os.Stdout, xor); err != nil {
		panic(err)
	}
	// Output:
	//  x1  x2  target  output  class
	//   0   0       0   0.000      0
	//   0   1       1   1.000      1
	//   1   0       1   1.000      1
	//   1   1       0   0.000      0
}

// A Run as a program makes one: its settings checked and its data found before any work (a
// program passes its flag set's Changed to Prepare, so that the Recipe is taken from a checkpoint
// to Resume), checkpointed after every epoch (to Save + ".ckpt", removed once the model is
// saved), and saved with the command that reproduces it. Interrupted would keep the last epoch.
func ExampleRun() {
	dir, err := os.MkdirTemp("", "example-run")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	run := train.Run{Recipe: train.DefaultRecipe(), Command: []string{"mnist", "train"}, Save: filepath.Join(dir, "digits.model")}
	run.Recipe.Hidden, run.Recipe.Epochs, run.Recipe.TrainLimit, run.Recipe.ValSize = "32", 2, 1000, 200
	if err := run.Prepare(nil, dataset.DigitSize*dataset.DigitSize, dataset.MNISTClasses); err != nil {
		panic(err)
	}
	data, err := run.Recipe.LoadData(false)
	if err != nil {
		panic(err)
	}
	if err := run.Start(data); err != nil {
		panic(err)
	}
	run.Trainer.OnEpoch = func(train.Epoch) error { return run.Epoch() }
	if err := run.Trainer.Fit(context.Background(), run.Train, run.Val); err != nil {
		panic(err) // with a SignalContext, ErrInterrupted: return run.Interrupted(signal)
	}
	result, err := run.Trainer.Eval.Evaluate(data.Test)
	if err != nil {
		panic(err)
	}
	if err := run.SaveModel(result.Accuracy); err != nil {
		panic(err)
	}
	saved, err := model.Load(run.Save)
	if err != nil {
		panic(err)
	}
	_, err = os.Stat(run.Checkpoint)
	fmt.Println(&run)
	fmt.Println(saved.Meta["command"])
	fmt.Println("epochs:", saved.Meta["epochs"], "checkpoint removed:", errors.Is(err, fs.ErrNotExist))
	// Output:
	// Training mlp 784-32-10 relu loss=crossentropy dropout=0.2 float32, 25450 parameters; adam lr=0.003, batch 200 on 2 replicas, 2 epochs, seed 1; data: 800 train, 200 validation, 10000 test
	// mnist train --hidden 32 --epochs 2 --val-size 200 --train-limit 1000
	// epochs: 2 checkpoint removed: true
}
