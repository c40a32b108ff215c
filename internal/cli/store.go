package cli

import (
	"fmt"
	"os"

	"github.com/nethunt/nethunt/internal/store"
	"github.com/nethunt/nethunt/internal/store/duckdb"
)

// openStore opens the configured store. Query commands open it read-only so
// several can run at once while no daemon holds the file.
func openStore(e *env, readOnly bool) (store.Store, error) {
	if e.live != nil {
		if !readOnly {
			return nil, fmt.Errorf("%s is owned by this process (pid %d), which only answers queries for clients", e.cfg.Store.Path, os.Getpid())
		}
		return sharedStore{e.live.st}, nil
	}
	return duckdb.Open(e.cfg.Store.Path, duckdb.Options{
		ReadOnly:    readOnly,
		Threads:     e.cfg.Store.Threads,
		MemoryLimit: e.cfg.Store.MemoryLimit,
		KeepRaw:     *e.cfg.Store.KeepRaw,
	})
}
