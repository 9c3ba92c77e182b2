package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// osUser is the account the server processes run as: nil for the current
// user, or the postgres user when Postgate runs as root (PostgreSQL refuses
// to run as root).
type osUser struct {
	name     string
	uid, gid uint32
}

func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the embedded PostgreSQL must run as the \"postgres\" user, which does not exist: install the postgresql package or create the user")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &osUser{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// apply makes cmd run as the user.
func (u *osUser) apply(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
}

// chown gives path to the user (no-op when running as the current user).
func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	return os.Chown(path, int(u.uid), int(u.gid))
}

// checkReachable verifies that the user can enter and write dir, explaining
// how to fix it otherwise (a folder under /root or a 0700 temp dir is not
// reachable by the postgres user).
func (u *osUser) checkReachable(dir string) error {
	if u == nil {
		return nil
	}
	cmd := exec.Command("/bin/sh", "-c", `test -x "$1" && test -w "$1"`, "sh", dir)
	u.apply(cmd)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("data directory %s is not reachable by the %q user, which runs the embedded PostgreSQL when Postgate runs as root: choose a directory outside /root and private folders (for example POSTGATE_DATA_DIR=/var/lib/postgate/data)", dir, u.name)
	}
	return nil
}

// ensureDir creates dir (mode 0700) owned by the user, after checking that
// its parent can be reached.
func (u *osUser) ensureDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if err := u.chown(dir); err != nil {
		return fmt.Errorf("chown data directory %s: %w", dir, err)
	}
	return u.checkReachable(dir)
}
