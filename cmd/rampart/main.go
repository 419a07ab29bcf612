// Command rampart runs Rampart, the platform on which the country's cyber
// defenders share threat information and defend together, and administers
// its data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rampart-project/rampart/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run is the whole program, parameterised by its environment so tests can
// call it as a user would.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runWith(ctx, env{args: args, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// env is what a command invocation has from the outside world.
type env struct {
	args           []string
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// extraModules are mounted after the built-in ones; tests use them to
	// add a probe module to a real server.
	extraModules []app.Module
}

func runWith(ctx context.Context, e env) error {
	root := newRoot(ctx, e)
	root.SetArgs(e.args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	return asUsage(root.ExecuteContext(ctx))
}

// asUsage recognises cobra's own errors about how a command was called
// (its flag errors are already usageErrors), so they exit with status 2.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "required flag(s)", "invalid argument"} {
		if strings.HasPrefix(msg, prefix) {
			return usageError{err}
		}
	}
	return err
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// exitError ends the command with a status, for commands whose answer is
// the status (pattern check, audit verify). With err set, err is printed as
// the one line.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// exitCode prints err as one line and returns the process status: 0 for
// success, 2 for bad usage, configuration or start-up, 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "rampart: "+oneLine(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "rampart: "+oneLine(err.Error()))
	var startup *app.StartupError
	var usage usageError
	if errors.As(err, &startup) || errors.As(err, &usage) {
		return 2
	}
	return 1
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
