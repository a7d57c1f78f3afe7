// Command duration prints a Go duration (10m, 90s) in whole seconds, for
// shell scripts.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: duration 10m")
		os.Exit(2)
	}
	d, err := time.ParseDuration(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "duration:", err)
		os.Exit(2)
	}
	fmt.Println(int(d.Seconds()))
}
