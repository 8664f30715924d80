// Package fakebench is what the benchmarks against the vendor fakes
// share: serving a fake from a child process, so that the benchmark's
// memory figures are the client's alone, and measuring memory (the peak
// heap sampled while the benchmark runs, the peak resident size). Only
// tests import it.
package fakebench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// ServeChild is for TestMain in a package whose benchmarks call
// StartChild. When the environment variable env holds a count, the test
// binary is that child: ServeChild calls serve with the count, prints
// the URL it returns, serves until stdin closes, calls stop and reports
// true, and TestMain should then return without running tests. Otherwise
// it reports false at once.
func ServeChild(env string, serve func(n int) (url string, stop func())) bool {
	count := os.Getenv(env)
	if count == "" {
		return false
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad count in %s: %v\n", env, err)
		os.Exit(2)
	}
	url, stop := serve(n)
	defer stop()
	fmt.Println(url)
	io.Copy(io.Discard, os.Stdin)
	return true
}

// StartChild runs the test binary again as a child that serves a fake
// with n records (see ServeChild) and returns the fake's URL. The child
// stops when the benchmark (or test) ends.
func StartChild(b testing.TB, env string, n int) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting the fake: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("reading the fake's URL: %v", err)
	}
	return strings.TrimSpace(line)
}
