package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/errs"
)

// maxEventFile bounds one event file of a feed. The largest events of
// the public MISP feeds are a few tens of megabytes; a file far beyond
// that is more likely a mistake than an event, and is rejected rather
// than read into memory.
const maxEventFile = 256 << 20

// MISPFeed converts a MISP feed directory at the root of fsys:
// manifest.json, an object keyed by event uuid, lists the events, each in
// <uuid>.json. Without a manifest every *.json file at the root is taken
// as an event. Files are converted in name order, so the result does not
// depend on the order of the manifest or of the directory listing, and
// observables and reference objects the events share come out once.
//
// A file that is missing, unreadable or not an event is a Rejection whose
// Where is the file name; the Where of items inside a file starts with
// it. Options.Progress is told of each file done. The error is an
// *errs.Error with code Invalid for an unreadable manifest or invalid
// options.
func MISPFeed(fsys fs.FS, o Options) (Result, error) {
	c, err := newConverter(o)
	if err != nil {
		return Result{}, err
	}
	files, err := c.feedFiles(fsys)
	if err != nil {
		return Result{}, err
	}
	if o.Progress != nil {
		o.Progress(0, len(files))
	}
	for i, name := range files {
		c.feedFile(fsys, name)
		if o.Progress != nil {
			o.Progress(i+1, len(files))
		}
	}
	return c.finish(), nil
}

// feedFiles lists the event files of a feed, sorted.
func (c *converter) feedFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "convert: cannot list the feed directory")
	}
	var present []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(strings.ToLower(e.Name()), ".json") && e.Name() != "manifest.json" {
			present = append(present, e.Name())
		}
	}
	sort.Strings(present)

	data, err := readLimited(fsys, "manifest.json")
	if errors.Is(err, fs.ErrNotExist) {
		return present, nil
	}
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "convert: cannot read manifest.json")
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "convert: manifest.json is not an object keyed by event uuid")
	}
	listed := make([]string, 0, len(manifest))
	for uuid := range manifest {
		if strings.ContainsAny(uuid, `/\`) || uuid == "" || uuid == "." || uuid == ".." {
			c.reject("manifest.json", uuid, "not an event uuid; entry skipped")
			continue
		}
		listed = append(listed, uuid+".json")
	}
	sort.Strings(listed)
	for _, name := range present {
		if _, ok := manifest[strings.TrimSuffix(name, ".json")]; !ok {
			c.warn(name, "", "not listed in manifest.json; skipped")
		}
	}
	return listed, nil
}

func (c *converter) feedFile(fsys fs.FS, name string) {
	data, err := readLimited(fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.reject(name, "", "listed in manifest.json but missing")
		return
	case err != nil:
		c.reject(name, "", "cannot be read: %v", err)
		return
	}
	if err := c.mispDocument(data, name+": "); err != nil {
		c.reject(name, "", "%s", strings.TrimPrefix(err.Error(), "convert: "))
	}
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	if !fs.ValidPath(name) || path.Base(name) != name {
		return nil, fmt.Errorf("%q is not a file name in the feed directory", name)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEventFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEventFile {
		return nil, fmt.Errorf("larger than %d MiB", maxEventFile>>20)
	}
	return data, nil
}
