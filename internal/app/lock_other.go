//go:build !unix

package app

// dirLock is a no-op where flock is not available.
type dirLock struct{}

func lockDataDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
