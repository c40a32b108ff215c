// Package conformance proves that the two query evaluators agree: the
// in-memory matcher (internal/query/match) and the SQL renderer
// (internal/query/sqlq, run on DuckDB) must return exactly the expected
// events for every case in testdata/*.test.
//
// File format, one directive per line (blank lines and # comments ignored):
//
//	event <id> <EVE JSON line>   an event, referred to by id
//	query: <query>               a case...
//	expect: <id>,<id>,...        ...and the events it must match (may be empty)
//	error: <substring>           ...or a substring of the parse error it must give
//
// All events of a file are loaded before its cases run. Each passing case is
// also run negated (NOT (query) must match exactly the other events) and
// after a round trip through its canonical text (Expr.String).
package conformance
