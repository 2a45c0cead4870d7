// Package pgtest gives tests a PostgreSQL schema of their own, in the
// database TEST_DATABASE_URL names (scripts/test.sh starts one), and skips
// them with a clear message when there is none.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// URL returns TEST_DATABASE_URL or skips the test.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		t.Skip("TEST_DATABASE_URL not set: run `make test` (scripts/test.sh starts a throwaway PostgreSQL), " +
			"or point it at a database you may create schemas in, e.g. " +
			"TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' go test ./internal/store/postgres")
	}
	return u
}

// FreshSchema creates an empty schema, dropped when t ends, and returns the
// test database's URL with that schema as its search_path, so that tests are
// isolated from each other and may run in parallel.
func FreshSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := URL(t)
	schema = "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if err := admin(base, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin(base, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsn, schema
}

// admin runs one statement on a connection of its own.
func admin(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to TEST_DATABASE_URL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// withSearchPath adds search_path to a URL or key=value connection string.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("TEST_DATABASE_URL is not a valid URL")
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
