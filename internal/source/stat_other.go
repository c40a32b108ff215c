//go:build !unix

package source

import "io/fs"

// Without inode numbers FileID relies on Head alone.
func devIno(fs.FileInfo) (dev, ino uint64) { return 0, 0 }

func unlinked(fs.FileInfo) bool { return false }
