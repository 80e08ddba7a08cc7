//go:build race

package serve

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = true
