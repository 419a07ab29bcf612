package app

import (
	"runtime/debug"
	"testing"
)

func TestTuneGCLeavesSetVariablesAlone(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })

	env := map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}
	percent, limit := TuneGC(func(k string) string { return env[k] })
	if percent != -1 || limit != 0 || debug.SetGCPercent(100) != 100 {
		t.Errorf("with GOGC and GOMEMLIMIT set, TuneGC changed the collector: %d, %d", percent, limit)
	}

	percent, limit = TuneGC(func(string) string { return "" })
	if percent != serverGCPercent || debug.SetGCPercent(100) != serverGCPercent {
		t.Errorf("GC percent %d, want %d", percent, serverGCPercent)
	}
	if total := memoryAvailable(); total > 0 && (limit < minimumMemoryLimit || limit > total) {
		t.Errorf("memory limit %d of %d bytes", limit, total)
	}
}

func TestMemTotal(t *testing.T) {
	got := memTotal([]byte("MemFree:  100 kB\nMemTotal:       24683584 kB\nBuffers: 1 kB\n"))
	if got != 24683584<<10 {
		t.Errorf("memTotal = %d", got)
	}
	if memTotal([]byte("nonsense")) != 0 {
		t.Error("memTotal of nonsense is not 0")
	}
}
