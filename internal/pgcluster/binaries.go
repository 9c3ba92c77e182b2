package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries are found.
var ErrNoBinaries = errors.New(`PostgreSQL server binaries not found: install them with "apt-get install postgresql" (Debian/Ubuntu)`)

// defaultSearchPath lists where server binaries are looked for: the
// directories of PATH, then /usr/lib/postgresql/<version>/bin, newest first.
func defaultSearchPath() []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return versionOf(versions[i]) > versionOf(versions[j]) })
	return append(dirs, versions...)
}

// versionOf extracts the major version from /usr/lib/postgresql/<v>/bin.
func versionOf(dir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
	return v
}

// findBinDir returns the first directory in dirs holding initdb and postgres.
// Symbolic links (such as /usr/local/bin/postgres) are followed so that the
// programs run from their real installation directory.
func findBinDir(dirs []string) (string, error) {
	for _, d := range dirs {
		if d == "" || !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "postgres")) {
			continue
		}
		if p, err := filepath.EvalSymlinks(filepath.Join(d, "postgres")); err == nil {
			real := filepath.Dir(p)
			if isExecutable(filepath.Join(real, "initdb")) && isExecutable(filepath.Join(real, "postgres")) {
				return real, nil
			}
		}
		return d, nil
	}
	return "", ErrNoBinaries
}

// isExecutable reports whether p (after symbolic links) is an executable file.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// FindProgram returns the path of the named PostgreSQL program (a client
// such as pg_dump, or a server program), looked for where the server
// binaries are: the directories of PATH, then
// /usr/lib/postgresql/<version>/bin, newest first.
func FindProgram(name string) (string, error) {
	for _, d := range defaultSearchPath() {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New("PostgreSQL program " + name + ` not found: install it with "apt-get install postgresql-client" (Debian/Ubuntu)`)
}
