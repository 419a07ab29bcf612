package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/stix/pattern"
)

func (c *cli) patternCmd() *cobra.Command {
	var stixVersion string
	cmd := &cobra.Command{
		Use:   "pattern",
		Short: "Check STIX patterns and match them against observed data",
	}
	cmd.PersistentFlags().StringVar(&stixVersion, "stix-version", "2.1", "patterning dialect: 2.0 or 2.1")
	options := func() ([]pattern.Option, error) {
		switch stixVersion {
		case "2.1":
			return nil, nil
		case "2.0":
			return []pattern.Option{pattern.WithVersion(pattern.V20)}, nil
		}
		return nil, usageError{fmt.Errorf("--stix-version %q: want 2.0 or 2.1", stixVersion)}
	}

	check := &cobra.Command{
		Use:   "check [PATTERN]",
		Short: "Say whether patterns are valid; without an argument, one per line from standard input",
		Long: `check prints "valid" or "invalid: MESSAGE" (with line and column) for the pattern
given, or for each line of standard input, skipping blank lines. It exits 1 if any
pattern is invalid.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := options()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return c.checkPatterns(strings.NewReader(args[0]), opts, true)
			}
			return c.checkPatterns(c.env.stdin, opts, false)
		},
	}

	match := &cobra.Command{
		Use:   "match PATTERN FILE",
		Short: "Match a pattern against observed data in FILE (- for standard input)",
		Long: `match evaluates PATTERN against the observations in FILE: a STIX bundle, a JSON
list of bundles, or a JSON list of observed-data objects (with the objects they
reference). It prints which observed-data satisfied which bracketed expression.
Exit status: 0 on a match, 1 on no match, 2 on an invalid pattern or input.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := options()
			if err != nil {
				return err
			}
			return c.matchPattern(args[0], args[1], opts)
		},
	}
	cmd.AddCommand(check, match)
	return cmd
}

func (c *cli) checkPatterns(r io.Reader, opts []pattern.Option, single bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), pattern.MaxLength+1)
	invalid := 0
	for sc.Scan() {
		line := sc.Text()
		if single {
			line = strings.TrimRight(line, "\r")
		} else if strings.TrimSpace(line) == "" {
			continue
		}
		if _, err := pattern.Parse(line, opts...); err != nil {
			invalid++
			fmt.Fprintf(c.env.stdout, "invalid: %s\n", oneLine(err.Error()))
		} else {
			fmt.Fprintln(c.env.stdout, "valid")
		}
		if single {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return exitError{code: 2, err: fmt.Errorf("reading patterns: %w", err)}
	}
	if invalid > 0 {
		return exitError{code: 1}
	}
	return nil
}

func (c *cli) matchPattern(text, file string, opts []pattern.Option) error {
	p, err := pattern.Parse(text, opts...)
	if err != nil {
		return exitError{code: 2, err: fmt.Errorf("invalid pattern: %w", err)}
	}
	var data []byte
	if file == "-" {
		data, err = io.ReadAll(c.env.stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return exitError{code: 2, err: err}
	}
	observations, err := pattern.ObservationsFromJSON(data)
	if err != nil {
		return exitError{code: 2, err: fmt.Errorf("%s: %w", file, err)}
	}
	res, err := p.Match(observations)
	if err != nil {
		var me *pattern.MatchError
		if errors.As(err, &me) || errors.Is(err, pattern.ErrTooComplex) {
			return exitError{code: 2, err: fmt.Errorf("%s: %w", file, err)}
		}
		return exitError{code: 2, err: err}
	}
	if !res.Matched {
		fmt.Fprintf(c.env.stdout, "no match in %d observations\n", len(observations))
		return exitError{code: 1}
	}
	fmt.Fprintln(c.env.stdout, "match")
	for _, b := range res.Bindings {
		fmt.Fprintf(c.env.stdout, "  observation expression %d: %s (observation %d)\n", b.Expr+1, b.ID, b.Observation+1)
	}
	return nil
}
