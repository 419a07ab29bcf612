package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-project/rampart/internal/app"
	"github.com/rampart-project/rampart/internal/platform/access"
	"github.com/rampart-project/rampart/internal/platform/db"
	"github.com/rampart-project/rampart/internal/platform/events"
	"github.com/rampart-project/rampart/internal/platform/identity"
	"github.com/rampart-project/rampart/internal/sharing"
	"github.com/rampart-project/rampart/internal/sharing/convert"
	"github.com/rampart-project/rampart/stix"
)

// importOptions are the flags of rampart import.
type importOptions struct {
	org, as, tlp, collection, format string
	shareWith                        []string
	asJSON, quiet                    bool
}

func (c *cli) importCmd() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import STIX bundles, MISP events or feeds, or a CSV of indicators",
		Long: `import stores the objects of FILE in the sharing store, as the organization
--org (or the user --as) submitting them. FILE is a STIX 2.1 bundle (.json, or
gzipped), a MISP event (JSON), a MISP feed (a directory with manifest.json and
one file per event), or a CSV of indicators with a header row (type,value and
optionally name, description, valid_from, valid_until, confidence, labels, tlp).
The format is recognised from the content; --format overrides it.

Every object is validated: the valid ones are stored, the others reported with
the reason, and nothing stored before is changed. Objects without a TLP marking
get --tlp. A progress line is shown on standard error for large files. Exit
status 1 when any object was rejected.`,
		Example: `  rampart import enterprise-attack.json.gz --org "National Cyber Coordination Center" --tlp clear
  rampart import event.json --as analyst@meridian.example --tlp amber --share-with "Meridian SLTT"
  rampart import indicators.csv --org "State of Meridian" --collection meridian-sltt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.org == "" && o.as == "" {
				return usageError{errors.New("name the submitter with --org ORGANIZATION or --as E-MAIL")}
			}
			return c.runImport(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.org, "org", "", "submitting organization, by name or id")
	f.StringVar(&o.as, "as", "", "submitting user, by e-mail (their organization submits)")
	f.StringVar(&o.tlp, "tlp", "amber", "TLP of objects that carry no TLP marking: clear, green, amber, amber+strict, red")
	f.StringSliceVar(&o.shareWith, "share-with", nil, "community (name or id) to share GREEN and AMBER objects with (repeatable)")
	f.StringVar(&o.collection, "collection", "", "TAXII collection (id or alias) to add the objects to")
	f.StringVar(&o.format, "format", "auto", "auto, stix, misp, misp-feed or csv")
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line")
	return cmd
}

// importSummary is what import prints.
type importSummary struct {
	File      string              `json:"file"`
	Format    string              `json:"format"`
	Read      int                 `json:"read"`
	Added     int                 `json:"added"`
	Unchanged int                 `json:"unchanged"`
	Rejected  int                 `json:"rejected"`
	Warnings  int                 `json:"warnings"`
	Seconds   float64             `json:"seconds"`
	Problems  []importProblem     `json:"problems,omitempty"`
	Converted []convert.Rejection `json:"conversion_warnings,omitempty"`
}

type importProblem struct {
	Where  string `json:"where"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

func (c *cli) runImport(ctx context.Context, path string, o importOptions) error {
	tlp, err := access.ParseTLP(o.tlp)
	if err != nil {
		return usageError{fmt.Errorf("--tlp: %w", err)}
	}
	app.TuneGC(c.env.getenv)
	d, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	ids := identity.NewStore(d)
	store := sharing.NewStore(d, events.NewOutbox(d, nil), access.Policy{PublicFeed: c.cfg.PublicFeed})
	sub, err := importSubmission(ctx, d, ids, store, o, tlp)
	if err != nil {
		return cliError(err)
	}
	format := o.format
	if format == "auto" {
		if format, err = detectFormat(path); err != nil {
			return err
		}
	}
	sum := importSummary{File: path, Format: format}
	start := time.Now()
	prog := newProgress(c.env.stderr, o.quiet || o.asJSON, filepath.Base(path))
	switch format {
	case "stix":
		err = importSTIX(ctx, store, sub, path, prog, &sum)
	case "misp", "misp-feed", "csv":
		var res convert.Result
		res, err = convertFile(path, format, prog)
		if err == nil {
			sum.Converted = res.Warnings
			for _, r := range res.Rejected {
				sum.Problems = append(sum.Problems, importProblem{Where: r.Where, Reason: r.Reason + quoteValue(r.Value)})
				sum.Rejected++
			}
			err = ingestAll(ctx, store, sub, res.Objects, nil, prog, &sum)
		}
	default:
		return usageError{fmt.Errorf("--format %q: use auto, stix, misp, misp-feed or csv", format)}
	}
	prog.done()
	sum.Seconds = time.Since(start).Seconds()
	if err != nil {
		return cliError(err)
	}
	if err := c.printImport(sum, o.asJSON); err != nil {
		return err
	}
	if sum.Rejected > 0 {
		return errReported
	}
	return nil
}

// errReported ends a command with status 1 after it has said why.
var errReported = exitError{code: 1}

func quoteValue(v string) string {
	if v == "" {
		return ""
	}
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return fmt.Sprintf(" (%q)", v)
}

func importSubmission(ctx context.Context, d *db.DB, ids *identity.Store, store *sharing.Store, o importOptions, tlp access.TLP) (sharing.Submission, error) {
	sub := sharing.Submission{Source: sharing.SourceImport, DefaultTLP: tlp, Actor: "cli"}
	if o.as != "" {
		u, err := ids.UserByEmail(ctx, o.as)
		if err != nil {
			return sub, err
		}
		if sub.Principal, err = ids.Principal(ctx, u); err != nil {
			return sub, err
		}
		sub.Actor = "cli:" + u.Email
	} else {
		org, err := ids.OrgByName(ctx, o.org)
		if err != nil {
			return sub, err
		}
		if sub.Principal, err = ids.OrgPrincipal(ctx, org.ID, "cli"); err != nil {
			return sub, err
		}
	}
	for _, name := range o.shareWith {
		cm, err := ids.Community(ctx, name, access.Principal{Coordinator: true})
		if err != nil {
			return sub, err
		}
		sub.Grants = append(sub.Grants, access.Grant{Kind: access.GrantCommunity, ID: cm.ID})
	}
	if o.collection != "" {
		coll, err := store.Collection(ctx, sharing.DefaultAPIRoot, o.collection)
		if err != nil {
			return sub, err
		}
		if !coll.Writable(sub.Principal) {
			return sub, fmt.Errorf("collection %q does not take submissions from this organization", coll.Title)
		}
		sub.Collection = &coll
		sub.Anonymous = coll.Anonymous
	}
	return sub, nil
}

// detectFormat looks at the content, not only the name.
func detectFormat(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", usageError{fmt.Errorf("%s: %w", path, unwrapPath(err))}
	}
	if st.IsDir() {
		return "misp-feed", nil
	}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return "csv", nil
	}
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return "", err
	}
	defer closeFn()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	trimmed := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	switch {
	case len(trimmed) == 0:
		return "", fmt.Errorf("%s is empty", path)
	case trimmed[0] != '{' && trimmed[0] != '[':
		return "csv", nil
	case bytes.Contains(head, []byte(`"Event"`)) || bytes.Contains(head, []byte(`"response"`)):
		return "misp", nil
	}
	return "stix", nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openMaybeGzip opens path, decompressing it when it starts with the gzip
// magic number whatever its name.
func openMaybeGzip(path string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	br := bufio.NewReaderSize(f, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return zr, func() { zr.Close(); f.Close() }, nil
	}
	return br, func() { f.Close() }, nil
}

// importSTIX streams a bundle in chunks, so a large file is stored while
// it is read and its progress shows.
func importSTIX(ctx context.Context, store *sharing.Store, sub sharing.Submission, path string, prog *progress, sum *importSummary) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		prog.total = st.Size()
	}
	counted := &countingReader{r: f, n: &prog.bytes}
	r, closeFn, err := gzipOrPlain(counted)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer closeFn()
	const chunk = 5000
	var pending []stix.Object
	var positions []int // each pending object's index in the bundle
	flush := func() error {
		err := ingestAll(ctx, store, sub, pending, positions, prog, sum)
		pending, positions = pending[:0], positions[:0]
		return err
	}
	_, err = stix.DecodeBundle(r, func(i int, obj stix.Object, err error) error {
		if err != nil {
			reason := err.Error()
			var oe *stix.ObjectError
			if errors.As(err, &oe) {
				reason = oe.Err.Error()
			}
			sum.Read++
			sum.Rejected++
			sum.Problems = append(sum.Problems, importProblem{Where: fmt.Sprintf("objects[%d]", i), Reason: reason})
			return nil
		}
		pending, positions = append(pending, obj), append(positions, i)
		if len(pending) == chunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w (the objects before this point were stored)", path, err)
	}
	return flush()
}

func gzipOrPlain(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	}
	return br, func() {}, nil
}

// ingestAll stores objs; positions, when given, are their places in the
// input, for the report.
func ingestAll(ctx context.Context, store *sharing.Store, sub sharing.Submission, objs []stix.Object, positions []int, prog *progress, sum *importSummary) error {
	if len(objs) == 0 {
		return nil
	}
	done0 := sum.Read
	sub.Progress = func(done int) { prog.objects = done0 + done; prog.show() }
	rep, err := store.Ingest(ctx, sub, objs)
	if err != nil {
		return err
	}
	sum.Read += len(objs)
	sum.Added += rep.Added
	sum.Unchanged += rep.Unchanged
	sum.Rejected += rep.Rejected
	for _, o := range rep.Outcomes {
		sum.Warnings += len(o.Warnings)
		if o.Status == sharing.StatusRejected {
			at := o.Index
			if positions != nil {
				at = positions[o.Index]
			}
			sum.Problems = append(sum.Problems, importProblem{Where: fmt.Sprintf("objects[%d]", at), ID: o.ID, Reason: strings.Join(o.Errors, "; ")})
		}
	}
	return nil
}

func convertFile(path, format string, prog *progress) (convert.Result, error) {
	opts := convert.Options{Progress: func(done, total int) { prog.objects = done; prog.show() }}
	switch format {
	case "misp-feed":
		return convert.MISPFeed(os.DirFS(path), opts)
	case "csv":
		r, closeFn, err := openMaybeGzip(path)
		if err != nil {
			return convert.Result{}, err
		}
		defer closeFn()
		return convert.CSV(r, opts)
	default:
		r, closeFn, err := openMaybeGzip(path)
		if err != nil {
			return convert.Result{}, err
		}
		defer closeFn()
		data, err := io.ReadAll(r)
		if err != nil {
			return convert.Result{}, fmt.Errorf("%s: %w", path, err)
		}
		return convert.MISPEvent(data, opts)
	}
}

func (c *cli) printImport(sum importSummary, asJSON bool) error {
	if asJSON {
		return printJSON(c, sum)
	}
	w := c.env.stdout
	rate := ""
	if sum.Seconds > 0 && sum.Read > 0 {
		rate = fmt.Sprintf(" (%.0f objects/s)", float64(sum.Read)/sum.Seconds)
	}
	fmt.Fprintf(w, "%s (%s): %d read, %d added, %d unchanged, %d rejected, %d warnings in %.1fs%s\n",
		sum.File, sum.Format, sum.Read, sum.Added, sum.Unchanged, sum.Rejected, sum.Warnings, sum.Seconds, rate)
	const shown = 50
	for i, p := range sum.Problems {
		if i == shown {
			fmt.Fprintf(w, "  ... and %d more (use --json for all)\n", len(sum.Problems)-shown)
			break
		}
		id := ""
		if p.ID != "" {
			id = " " + p.ID
		}
		fmt.Fprintf(w, "  rejected %s%s: %s\n", p.Where, id, p.Reason)
	}
	for i, p := range sum.Converted {
		if i == 10 {
			fmt.Fprintf(w, "  ... and %d more conversion warnings\n", len(sum.Converted)-10)
			break
		}
		fmt.Fprintf(w, "  not converted %s: %s%s\n", p.Where, p.Reason, quoteValue(p.Value))
	}
	return nil
}

// countingReader counts the bytes read from a file, for the progress line.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// progress is one line on standard error, rewritten in place on a
// terminal and printed every few seconds otherwise.
type progress struct {
	w       io.Writer
	off     bool
	name    string
	total   int64
	bytes   int64
	objects int
	tty     bool
	last    time.Time
	start   time.Time
	shown   bool
}

func newProgress(w io.Writer, off bool, name string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, off: off, name: name, tty: tty, start: time.Now()}
}

func (p *progress) show() {
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if p.off || time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("importing %s: %d objects", p.name, p.objects)
	if p.total > 0 {
		pct := float64(p.bytes) * 100 / float64(p.total)
		width := 30
		filled := int(pct / 100 * float64(width))
		line = fmt.Sprintf("importing %s [%s%s] %3.0f%%  %.1f/%.1f MB  %d objects", p.name,
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), pct, float64(p.bytes)/1e6, float64(p.total)/1e6, p.objects)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\033[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.shown = true
}

func (p *progress) done() {
	if p.shown && p.tty {
		fmt.Fprintln(p.w)
	}
}
