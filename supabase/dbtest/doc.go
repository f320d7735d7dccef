// Package dbtest holds Go integration tests of the database itself: races that pgTAP cannot
// stage (many connections at once) and the migration runner (scripts/db.sh) applied to real,
// empty databases. It has no code of its own; see supabase/tests for the pgTAP suite. Its
// subpackage schemadiff compares the databases two folders of migrations build (run by hand:
// go run ./supabase/dbtest/cmd/schemadiff OLD_DIR NEW_DIR).
package dbtest
