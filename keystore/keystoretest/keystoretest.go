// Package keystoretest owns what the tests of the key store and of its
// users share: the PostgreSQL server they run against (PostgresEnv) and the
// rule that those tests skip locally without one but fail in CI.
package keystoretest

import (
	"os"
	"testing"
)

// PostgresEnv names the environment variable with the URL of the PostgreSQL
// database the store tests also run against (.ci/run starts a server and
// sets it).
const PostgresEnv = "QOSST_TEST_POSTGRES"

// PostgresURL returns the test PostgreSQL URL. Without one the test is
// skipped with how to run it, except in CI (CI=true), where it fails.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set in CI: .ci/run starts PostgreSQL and sets it", PostgresEnv)
		}
		t.Skipf("PostgreSQL store tests skipped: set %s=postgres://USER:PASS@HOST/DB?sslmode=disable (a database the tests may create tables in; .ci/run shows how to start one) to run them", PostgresEnv)
	}
	return u
}
