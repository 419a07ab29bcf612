package app

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// A Rampart server keeps a small live heap and makes a great deal of
// short-lived garbage (rows, bodies, pages): with Go's default GOGC=100 the
// collector ran so often that it was a fifth of the CPU of serving TAXII
// pages. GC percent 200 collects half as often (449 pages/s against 354–378
// on the benchmark, 4.3 ms of CPU a page against 5.1); a soft memory limit
// at half the machine's (or the container's) memory makes the collector
// work harder before the heap could crowd out the rest of the system.
// GOGC and GOMEMLIMIT, when set, win.
const (
	serverGCPercent    = 200
	memoryLimitShare   = 2 // the limit is 1/memoryLimitShare of the memory
	minimumMemoryLimit = 256 << 20
)

// TuneGC applies the server's collector settings and returns them (GC
// percent; memory limit in bytes, 0 when none was set).
func TuneGC(getenv func(string) string) (percent int, limit int64) {
	percent = -1
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
		percent = serverGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		if total := memoryAvailable(); total > 0 {
			limit = max(total/memoryLimitShare, minimumMemoryLimit)
			debug.SetMemoryLimit(limit)
		}
	}
	return percent, limit
}

// memoryAvailable is the cgroup's memory limit when there is one, else
// the machine's memory; 0 when neither can be read.
func memoryAvailable() int64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return memTotal(b)
}

// memTotal reads MemTotal (in kB) from /proc/meminfo.
func memTotal(meminfo []byte) int64 {
	s := bufio.NewScanner(bytes.NewReader(meminfo))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
